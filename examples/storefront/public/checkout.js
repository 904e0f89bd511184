// The checkout page: pick a flight, see its CO2, choose how much of it to remove with the
// slider, book. Prices come from the storefront's backend, which asked Contrail for them
// (estimateEmission's offsetOptions); the page only shows them. It never sees the API key.
import { api, dateTime, duration, kilograms, money, tonnes, tripSummary } from "./format.js";

const $ = (id) => document.getElementById(id);
const form = $("checkout");
const slider = $("share");
const book = $("book");
let flights = [];
/** The latest estimate: the cart it is held in, its figures and its offset options. */
let quote = null;
let asked = 0;

const { flights: list, saf } = await api("/api/flights");
flights = list;
$("saf-blend").textContent = saf.blendPercent;
$("flights").replaceChildren(...flights.map(flightCard));
form.addEventListener("change", (event) => {
  if (event.target.name === "flight" || event.target.name === "saf") estimate();
});
slider.addEventListener("input", showOffset);
form.addEventListener("submit", submit);

function flightCard(flight) {
  const label = document.createElement("label");
  label.className = "flight";
  label.innerHTML = `<input type="radio" name="flight">
    <span class="codes"><span class="from"></span><span class="arrow" aria-hidden="true">→</span><span class="to"></span></span>
    <span class="cities"></span><span class="when muted"></span><span class="fare"></span>`;
  const radio = label.querySelector("input");
  radio.value = flight.id;
  radio.setAttribute("aria-label",
    `${flight.origin.city} to ${flight.destination.city}, ${dateTime(flight.departsAt)}, ${money(flight.fare)}`);
  label.querySelector(".from").textContent = flight.origin.code;
  label.querySelector(".to").textContent = flight.destination.code;
  label.querySelector(".cities").textContent = `${flight.origin.city} to ${flight.destination.city}`;
  label.querySelector(".when").textContent =
    `${dateTime(flight.departsAt)} · ${duration(flight.durationMinutes)} · ${flight.aircraft.name}`;
  label.querySelector(".fare").textContent = money(flight.fare);
  return label;
}

function chosenFlight() {
  const id = form.elements.flight?.value ?? new FormData(form).get("flight");
  return flights.find((flight) => flight.id === id);
}

/** Asks the backend for the chosen flight's CO2 and offset prices (a new cart each time). */
async function estimate() {
  const flight = chosenFlight();
  if (!flight) return;
  const mine = ++asked;
  quote = null;
  slider.disabled = true;
  book.disabled = true;
  $("emission").setAttribute("aria-busy", "true");
  $("net-co2").textContent = "…";
  $("breakdown").textContent = "Estimating this flight's emissions…";
  showTrip(flight);
  showOffset();
  $("error").textContent = "";
  try {
    const answer = await api("/api/quotes", { flightId: flight.id, saf: $("saf").checked });
    if (mine !== asked) return; // a newer choice is being priced
    quote = answer;
  } catch (error) {
    if (mine !== asked) return;
    $("net-co2").textContent = "–";
    $("breakdown").textContent = "";
    $("error").textContent = error.message;
    return;
  }
  $("emission").setAttribute("aria-busy", "false");
  $("net-co2").textContent = tonnes(quote.netCo2Tonnes);
  const saved = quote.safReductionKg === "0.000" ? "" :
    `, less ${kilograms(quote.safReductionKg)} kg saved by the fuel blend`;
  $("breakdown").textContent =
    `${kilograms(quote.co2Kg)} kg of CO₂ from the fuel burned${saved} (methodology ${quote.methodology}).`;
  const { name, method, registry } = quote.project;
  $("project").textContent = `Carbon removal by ${name} · ${method} · ${registry}`;
  slider.disabled = false;
  book.disabled = false;
  showOffset();
}

/** The chosen share's tonnes and price, read from the estimate's options. */
function showOffset() {
  const share = Number(slider.value);
  const option = quote?.options.find((candidate) => candidate.percentage === share);
  const price = $("offset-price");
  $("share-value").textContent = `${share} %`;
  if (!quote) {
    price.textContent = "";
    price.removeAttribute("data-amount");
    price.removeAttribute("data-currency");
    $("offset-tonnes").textContent = "";
    slider.removeAttribute("aria-valuetext");
  } else if (share === 0) {
    price.textContent = "No removal";
    price.dataset.amount = "0";
    price.removeAttribute("data-currency");
    $("offset-tonnes").textContent = "";
    slider.setAttribute("aria-valuetext", "0 percent: no carbon removal");
  } else {
    price.textContent = money(option.price);
    price.dataset.amount = option.price.amount;
    price.dataset.currency = option.price.currency;
    $("offset-tonnes").textContent = `${tonnes(option.tonnes)} t removed`;
    slider.setAttribute("aria-valuetext",
      `${share} percent: ${tonnes(option.tonnes)} tonnes removed for ${money(option.price)}`);
  }
  $("removal-share").textContent = quote ? `${share} % of the flight's CO₂` : "";
  $("removal").textContent = !quote ? "–" : share === 0 ? "None" : money(option.price);
  book.textContent = share === 0 || !quote ? "Book flight" : `Book and remove ${share} %`;
}

function showTrip(flight) {
  $("trip").classList.remove("muted");
  $("trip").replaceChildren(...tripSummary(flight));
  $("fare").textContent = money(flight.fare);
}

async function submit(event) {
  event.preventDefault();
  $("error").textContent = "";
  if (!quote) return;
  for (const input of [$("name"), $("email")]) {
    if (!input.checkValidity()) {
      input.reportValidity();
      input.focus();
      return;
    }
  }
  book.disabled = true;
  book.textContent = "Booking…";
  try {
    const booked = await api("/api/bookings", {
      cartId: quote.cartId,
      percentage: Number(slider.value),
      name: $("name").value,
      email: $("email").value,
    });
    // To Contrail's hosted checkout, which sends the customer back to the booking page; or,
    // without an offset, straight to the booking.
    window.location.assign(booked.checkoutUrl ?? booked.bookingUrl);
  } catch (error) {
    $("error").textContent = error.message;
    book.disabled = false;
    showOffset();
  }
}
