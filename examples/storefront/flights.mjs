// The storefront's own inventory: what a charter operator sells. Contrail knows nothing of
// fares or timetables; it is told the aircraft (once) and each flight's tail number and block
// time when a price for its CO2 is needed.

/** The operator's fleet, registered in Contrail once at start (`registerAircraft`). */
export const AIRCRAFT = [
  { tailNumber: "N300SK", modelCode: "E55P", name: "Embraer Phenom 300" },
  { tailNumber: "N525SK", modelCode: "C25B", name: "Cessna Citation CJ3+" },
  { tailNumber: "N350SK", modelCode: "CL35", name: "Bombardier Challenger 350" },
];

/** The blend offered to customers who choose sustainable aviation fuel. */
export const SAF = { blendPercent: "30", pathway: "HEFA_USED_COOKING_OIL" };

const SCHEDULE = [
  {
    id: "TEB-PBI",
    origin: { code: "KTEB", city: "New York", airport: "Teterboro" },
    destination: { code: "KDJT", city: "West Palm Beach", airport: "Palm Beach Intl" },
    inDays: 3,
    departsUtc: "14:30",
    durationMinutes: 155,
    tailNumber: "N300SK",
    fare: { amount: "18400.00", currency: "USD" },
  },
  {
    id: "VNY-ASE",
    origin: { code: "KVNY", city: "Los Angeles", airport: "Van Nuys" },
    destination: { code: "KASE", city: "Aspen", airport: "Aspen/Pitkin County" },
    inDays: 5,
    departsUtc: "16:00",
    durationMinutes: 115,
    tailNumber: "N525SK",
    fare: { amount: "14900.00", currency: "USD" },
  },
  {
    id: "TEB-LTN",
    origin: { code: "KTEB", city: "New York", airport: "Teterboro" },
    destination: { code: "EGGW", city: "London", airport: "Luton" },
    inDays: 9,
    departsUtc: "23:00",
    durationMinutes: 430,
    tailNumber: "N350SK",
    fare: { amount: "86500.00", currency: "USD" },
  },
];

/** The flights on sale, dated from `today` (departures a few days ahead). */
export function flightsFrom(today = new Date()) {
  return SCHEDULE.map(({ inDays, departsUtc, ...flight }) => {
    const [hours, minutes] = departsUtc.split(":").map(Number);
    const departure = new Date(Date.UTC(
      today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + inDays, hours, minutes,
    ));
    const aircraft = AIRCRAFT.find((plane) => plane.tailNumber === flight.tailNumber);
    return { ...flight, departedAt: departure.toISOString(), aircraft };
  });
}
