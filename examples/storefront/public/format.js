// Shows Contrail's figures as it sent them. Money and masses arrive as decimal strings
// ("995.65", "4425.106"); Intl formats a string as the exact decimal it holds, so nothing here
// adds, multiplies or rounds a price: every price shown is one Contrail quoted.
const LOCALE = "en-US";

/** `{ amount: "995.65", currency: "USD" }` → "$995.65". */
export function money({ amount, currency }) {
  return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).format(amount);
}

/** "6.637659" (tonnes) → "6.64". */
export function tonnes(decimal) {
  return new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    .format(decimal);
}

/** "4425.106" (kilograms) → "4,425". */
export function kilograms(decimal) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }).format(decimal);
}

export function dateTime(iso, timeZone) {
  return new Intl.DateTimeFormat(LOCALE, {
    weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit",
    timeZone, timeZoneName: "short",
  }).format(new Date(iso));
}

export function duration(minutes) {
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** POSTs or GETs JSON to the storefront's backend; throws with the message it answered. */
export async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error?.message ?? `The shop answered ${response.status}.`);
  return answer;
}

/** The trip's summary (route, date, aircraft) as DOM nodes. */
export function tripSummary(flight) {
  const wrapper = document.createElement("div");
  wrapper.className = "route";
  const place = (stop) => {
    const node = document.createElement("div");
    node.innerHTML = '<span class="code"></span><span class="city"></span>';
    node.querySelector(".code").textContent = stop.code;
    node.querySelector(".city").textContent = `${stop.city} · ${stop.airport}`;
    return node;
  };
  const arrow = document.createElement("div");
  arrow.className = "arrow";
  arrow.setAttribute("aria-label", "to");
  arrow.textContent = "→";
  wrapper.append(place(flight.origin), arrow, place(flight.destination));
  const details = document.createElement("p");
  details.className = "muted";
  details.textContent =
    `${dateTime(flight.departsAt)} · ${duration(flight.durationMinutes)} · ${flight.aircraft.name} (${flight.aircraft.tailNumber})`;
  return [wrapper, details];
}
