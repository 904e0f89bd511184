// The storefront: a flight checkout that offers carbon removal, on Contrail. This process is
// the shop's backend: it holds the organization's API key (CONTRAIL_API_KEY), talks to
// Contrail (./contrail.mjs), and serves the pages and a few JSON endpoints to the browser.
// Node's standard library only; the browser's graphql-ws client is served from node_modules.
//
//   CONTRAIL_API_KEY=ctr_… node server.mjs
//
// Settings (environment): CONTRAIL_API_KEY (required), CONTRAIL_URL (http://127.0.0.1:8080),
// CONTRAIL_WS_URL (Contrail's /graphql as the browser reaches it; derived from CONTRAIL_URL),
// HOST (127.0.0.1), PORT (3000; 0 picks a free one), STOREFRONT_URL (this site's address as the
// customer's browser sees it, where the checkout sends the customer back; http://HOST:PORT).
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Contrail, ContrailError, OFFSET_PERCENTAGES } from "./contrail.mjs";
import { AIRCRAFT, SAF, flightsFrom } from "./flights.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(HERE, "public");
/** Carts and bookings are kept in memory (a real shop keeps them in its database). */
const MAX_KEPT = 10_000;
const TOKEN = "[A-Za-z0-9_-]{22}";

const log = (...parts) => console.error(new Date().toISOString(), ...parts);

function fail(message) {
  console.error(message);
  process.exit(1);
}

const apiKey = process.env.CONTRAIL_API_KEY?.trim();
if (!apiKey) {
  fail(
    "Set CONTRAIL_API_KEY to your organization's API key (`cargo run` prints the demo one on " +
      "first start; `contrail org create --name …` makes another).",
  );
}
const contrailUrl = (process.env.CONTRAIL_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
const subscriptionUrl =
  process.env.CONTRAIL_WS_URL ?? `${contrailUrl.replace(/^http/, "ws")}/graphql`;
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 3000);

// The npm graphql-ws client's browser build (ES modules, no dependencies), served as it is.
let graphqlWs;
try {
  graphqlWs = path.dirname(fileURLToPath(import.meta.resolve("graphql-ws/client")));
} catch {
  fail("graphql-ws is missing: run `npm ci --prefix examples/storefront` first.");
}

const contrail = new Contrail({ url: contrailUrl, apiKey });
const flights = flightsFrom(new Date());
const carts = new Map();
const bookings = new Map();
let publicUrl;

/** An answer other than 200, with a message meant for the customer. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---------------------------------------------------------------------------------------------
// The JSON endpoints the pages call.

function listFlights() {
  return { flights: flights.map(publicFlight), saf: { blendPercent: SAF.blendPercent } };
}

/** Prices a flight's CO2 for the slider; the cart keeps the estimate for booking. */
async function quote(request) {
  const { flightId, saf } = await readJson(request);
  const flight = flights.find((candidate) => candidate.id === flightId);
  if (!flight) throw new HttpError(404, "There is no such flight.");
  const estimate = await contrail.estimate(flight, saf === true ? SAF : null);
  const cartId = token();
  keep(carts, cartId, { flight, saf: saf === true, estimate, booking: null });
  return { cartId, ...publicEstimate(estimate) };
}

/** Books the cart's flight; with an offset, opens Contrail's hosted checkout for it. */
async function book(request) {
  const body = await readJson(request);
  const cart = carts.get(body.cartId);
  if (!cart) throw new HttpError(404, "This price is no longer held: choose your flight again.");
  const percentage = body.percentage;
  if (!(percentage === 0 || OFFSET_PERCENTAGES.includes(percentage))) {
    throw new HttpError(400, "Choose an offset between 0 % and 150 %.");
  }
  const customer = { name: text(body.name, "your name", 100), email: email(body.email) };
  // A second click while the first is under way gets the same booking.
  cart.booking ??= createBooking(cart, percentage, customer).catch((error) => {
    cart.booking = null;
    throw error;
  });
  const booking = await cart.booking;
  return { bookingUrl: `/booking/${booking.token}`, checkoutUrl: booking.payment?.checkoutUrl ?? null };
}

async function createBooking(cart, percentage, customer) {
  const reference = `SKY-${randomBytes(4).toString("hex").toUpperCase()}`;
  const emission = await contrail.recordFlight(cart.estimate.id, cart.flight, reference);
  const booking = {
    token: token(),
    reference,
    flight: cart.flight,
    saf: cart.saf,
    estimate: cart.estimate,
    percentage,
    customer,
    emissionId: emission.id,
    attempt: 1,
    payment: null,
    offsetError: null,
  };
  keep(bookings, booking.token, booking);
  log(`booked ${reference} (${cart.flight.id}, offset ${percentage} %)`);
  if (percentage > 0) await openOffset(booking);
  return booking;
}

/**
 * Opens a hosted checkout for the booking's offset. A failure leaves the flight booked and is
 * shown on the booking page, which offers to try again.
 */
async function openOffset(booking) {
  const { flight, reference, customer } = booking;
  // A new checkout only after a failed one; after no answer at all, the same reference again,
  // so that Contrail answers the checkout it may have opened.
  if (booking.payment) booking.attempt += 1;
  try {
    const checkout = await contrail.openCheckout({
      emissionId: booking.emissionId,
      percentage: booking.percentage,
      redirectUrl: `${publicUrl}/booking/${booking.token}`,
      customer,
      retirementMessage: `Flight ${flight.origin.code} → ${flight.destination.code}, booking ${reference}`,
      reference: `${reference}-offset-${booking.attempt}`,
    });
    booking.payment = {
      id: checkout.payment.id,
      clientSecret: checkout.payment.clientSecret,
      checkoutUrl: checkout.checkoutUrl,
    };
    booking.offsetError = null;
  } catch (error) {
    log(`no checkout for ${reference}: ${error.code ?? ""} ${error.message}`);
    booking.offsetError = customerMessage(error);
  }
}

/** What the booking page shows, and what it needs to follow the payment. */
function showBooking(_request, [bookingToken]) {
  const booking = bookings.get(bookingToken);
  if (!booking) throw new HttpError(404, "There is no such booking.");
  const option = booking.estimate.offsetOptions.find(
    (candidate) => candidate.percentage === booking.percentage,
  );
  return {
    reference: booking.reference,
    flight: publicFlight(booking.flight),
    customer: { name: booking.customer.name },
    saf: booking.saf,
    estimate: publicEstimate(booking.estimate),
    percentage: booking.percentage,
    offset: option ?? null,
    // The payment's client secret opens that one payment to the customer's browser, and
    // nothing else: it is what the page follows the payment with, instead of the API key.
    payment: booking.payment,
    offsetError: booking.offsetError,
    subscriptionUrl,
  };
}

/** After a failed, cancelled or expired payment: a new checkout for the same offset. */
async function retryOffset(_request, [bookingToken]) {
  const booking = bookings.get(bookingToken);
  if (!booking) throw new HttpError(404, "There is no such booking.");
  if (booking.percentage === 0) throw new HttpError(409, "This booking has no offset.");
  if (booking.payment) {
    const { status } = await contrail.payment(booking.payment.id);
    if (status === "PENDING") return { checkoutUrl: booking.payment.checkoutUrl };
    if (!["FAILED", "CANCELLED", "EXPIRED"].includes(status)) {
      throw new HttpError(409, "This offset is already paid.");
    }
  }
  booking.retrying ??= openOffset(booking).finally(() => {
    booking.retrying = null;
  });
  await booking.retrying;
  if (booking.offsetError) throw new HttpError(502, booking.offsetError);
  return { checkoutUrl: booking.payment.checkoutUrl };
}

function publicFlight(flight) {
  const { id, origin, destination, departedAt, durationMinutes, aircraft, fare } = flight;
  return { id, origin, destination, departsAt: departedAt, durationMinutes, aircraft, fare };
}

/** Contrail's figures and prices as it gave them (decimal strings): the page does no sums. */
function publicEstimate(estimate) {
  return {
    co2Kg: estimate.co2Kg,
    safReductionKg: estimate.safReductionKg,
    netCo2Kg: estimate.netCo2Kg,
    netCo2Tonnes: estimate.co2Tonnes,
    expiresAt: estimate.expiresAt,
    methodology: estimate.methodology.version,
    project: estimate.listing.project,
    options: estimate.offsetOptions,
  };
}

function customerMessage(error) {
  switch (error instanceof ContrailError && error.code) {
    case "INSUFFICIENT_SUPPLY":
      return "Not enough carbon removal is available right now for this offset.";
    case "QUOTE_EXPIRED":
      return "This price has expired: choose your flight again.";
    case "BAD_USER_INPUT":
      return error.message;
    default:
      return "The carbon removal service did not answer. Please try again.";
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP: routes, pages and files.

const routes = [
  ["GET", /^\/$/, () => file(PUBLIC, "index.html")],
  ["GET", new RegExp(`^/booking/${TOKEN}$`), () => file(PUBLIC, "booking.html")],
  ["GET", /^\/assets\/([a-z0-9-]+\.(?:css|js|svg))$/, (_, [name]) => file(PUBLIC, name)],
  ["GET", /^\/vendor\/graphql-ws\/([A-Za-z0-9_-]+\.js)$/, (_, [name]) => file(graphqlWs, name)],
  ["GET", /^\/api\/flights$/, listFlights],
  ["POST", /^\/api\/quotes$/, quote],
  ["POST", /^\/api\/bookings$/, book],
  ["GET", new RegExp(`^/api/bookings/(${TOKEN})$`), showBooking],
  ["POST", new RegExp(`^/api/bookings/(${TOKEN})/offset$`), retryOffset],
];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** A file to send, by its directory and name (names are checked by the routes). */
function file(directory, name) {
  return { file: path.join(directory, name) };
}

async function handle(request, response) {
  const { pathname } = new URL(request.url, "http://storefront");
  const route = routes.find(([method, pattern]) => pattern.test(pathname) && method === request.method);
  try {
    if (!route) {
      const known = routes.some(([, pattern]) => pattern.test(pathname));
      throw new HttpError(known ? 405 : 404, known ? "Method not allowed." : "Not found.");
    }
    const [, pattern, handler] = route;
    const result = await handler(request, pattern.exec(pathname).slice(1));
    if (result.file) {
      const body = await readFile(result.file).catch(() => null);
      if (!body) throw new HttpError(404, "Not found.");
      send(response, 200, body, TYPES[path.extname(result.file)] ?? "application/octet-stream");
    } else {
      send(response, 200, JSON.stringify(result), "application/json");
    }
  } catch (error) {
    if (!(error instanceof HttpError)) log(`${request.method} ${pathname}:`, error);
    const status = error instanceof HttpError ? error.status : 502;
    const message = error instanceof HttpError ? error.message : customerMessage(error);
    send(response, status, JSON.stringify({ error: { message } }), "application/json");
  }
}

function send(response, status, body, type) {
  response.writeHead(status, {
    "Content-Type": type,
    "Cache-Control": "no-store",
    // Pages load their scripts, styles and images from here, and open one WebSocket to
    // Contrail to follow a payment.
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
      `connect-src 'self' ${new URL(subscriptionUrl).origin}; ` +
      "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  });
  response.end(body);
}

/** A JSON body: only `application/json` (which a form on another site cannot send). */
async function readJson(request) {
  if (!/^application\/json\b/.test(request.headers["content-type"] ?? "")) {
    throw new HttpError(415, "Send JSON.");
  }
  let size = 0;
  const chunks = [];
  for await (const chunk of request) {
    size += chunk.length;
    if (size > 16_384) throw new HttpError(413, "Too large.");
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (body && typeof body === "object") return body;
  } catch {
    // answered below
  }
  throw new HttpError(400, "Send a JSON object.");
}

function text(value, what, maxLength) {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (!trimmed || trimmed.length > maxLength || /\p{Cc}/u.test(trimmed)) {
    throw new HttpError(400, `Enter ${what}.`);
  }
  return trimmed;
}

function email(value) {
  const address = text(value, "your e-mail address", 254);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) throw new HttpError(400, "Enter a valid e-mail address.");
  return address;
}

/** 128 random bits: whoever holds a booking's token sees it. */
function token() {
  return randomBytes(16).toString("base64url");
}

function keep(map, key, value) {
  map.set(key, value);
  if (map.size > MAX_KEPT) map.delete(map.keys().next().value);
}

// ---------------------------------------------------------------------------------------------
// Start: the fleet registered once, then the site.

async function registerFleet() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      for (const aircraft of AIRCRAFT) {
        if (await contrail.ensureAircraft(aircraft)) log(`registered ${aircraft.tailNumber} in Contrail`);
      }
      return;
    } catch (error) {
      if (error instanceof ContrailError) {
        fail(`Contrail refused to register the fleet: ${error.code} ${error.message}`);
      }
      if (Date.now() > deadline) fail(`Contrail is not reachable at ${contrailUrl}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

await registerFleet();
const server = createServer(handle);
server.listen(port, host, () => {
  const { port: bound } = server.address();
  const hostname = host.includes(":") ? `[${host}]` : host;
  publicUrl = (process.env.STOREFRONT_URL ?? `http://${hostname}:${bound}`).replace(/\/+$/, "");
  console.log(`Storefront: ${publicUrl}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
