// The example storefront (examples/storefront) in headless Chromium, as a customer uses it:
// picks a flight (with the SAF blend on the pay run), moves the offset slider to 150 %, books,
// types an e-mail on Contrail's hosted test checkout and presses Pay (or Decline), comes back
// to the storefront and watches the payment there without reloading; after paying, opens the
// certificate. A screenshot of each step goes to <screenshot dir>. The browser works offline:
// a request to any host but this machine fails the run. Prints one line per check:
//   FLIGHTS <n>                       flights on sale
//   ESTIMATE <t>                      the flight's net CO2 as shown
//   PRICE <amount> <currency> <text>  the 150 % option the page shows: its data and its text
//   SLIDER <aria-valuetext>           what the slider announces
//   CHECKOUT <total>                  the hosted checkout's total
//   BOOKING <path>                    where the customer came back to
//   STATE <status>                    the last status the booking page shows
//   STEPS <steps>                     the timeline's steps marked done
//   LOADS <n>                         loads of the booking page (1: followed live)
//   CERTIFICATE <url>, CERT_FLIGHT <cells>, CERT_BENEFICIARY <name>   (pay)
//   RETRY <total>                     the new hosted checkout "Try again" opened (decline)
//   INSPECTED <requests> <responses> <frames>   what was searched for the API key
//   LEAKS […]                         requests, responses or WebSocket frames holding the key
//   ERRORS […]                        console errors, page errors, failed or offline requests
// then DONE, or FAILED <reason> when a step did not happen (exit code 1).
// Usage: node storefront.mjs <storefront url> <api key> <screenshot dir> <pay | decline | none>
// (none: the slider to 0 %, which books the flight without a checkout.)
import { mkdirSync } from "node:fs";
import path from "node:path";

import { chromium } from "playwright-core";

const [storefront, apiKey, screenshots, choice] = process.argv.slice(2);
const FLIGHT = /New York to West Palm Beach/;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

mkdirSync(screenshots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const errors = [];
const leaks = [];
const inspected = { requests: 0, responses: 0, frames: 0 };
let shot = 0;
/** Pages loaded since the customer left the hosted checkout (the return is the first). */
let loads = 0;
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  await offline(context);
  watchForKey(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watchForErrors(page);

  await chooseFlightAndOffset(page);
  await page.getByRole("button", { name: /^Book/ }).click();
  if (choice === "none") {
    await bookedWithoutOffset(page);
  } else {
    await payOnHostedCheckout(page);
    await followOnBookingPage(page);
    if (choice === "pay") await openCertificate(page);
    else await tryAgain(page);
  }
  // Let late console messages and responses arrive before tallying.
  await page.waitForTimeout(200);
} catch (error) {
  console.log(`FAILED ${String(error).split("\n")[0]}`);
  failed = true;
} finally {
  console.log(`INSPECTED ${inspected.requests} ${inspected.responses} ${inspected.frames}`);
  console.log(`LEAKS ${JSON.stringify(leaks)}`);
  console.log(`ERRORS ${JSON.stringify(errors)}`);
  await browser.close();
}
failed ||= leaks.length > 0 || errors.length > 0;
if (!failed) console.log("DONE");
process.exitCode = failed ? 1 : 0;

async function chooseFlightAndOffset(page) {
  await page.goto(storefront);
  const flights = page.locator("input[name=flight]");
  await flights.first().waitFor();
  console.log(`FLIGHTS ${await flights.count()}`);
  await screenshot(page, "flights");

  await page.getByRole("radio", { name: FLIGHT }).check();
  if (choice === "pay") await page.getByLabel(/sustainable aviation fuel/).check();
  const slider = page.getByLabel(/How much of it/);
  await page.waitForFunction(() => !document.getElementById("share").disabled);
  // A quote per change: wait for the one with the SAF blend (its breakdown names it).
  if (choice === "pay") await page.getByText(/saved by the fuel blend/).waitFor();
  console.log(`ESTIMATE ${await page.textContent("#net-co2")}`);
  await page.getByLabel("Full name").fill("Jane Doe");
  await page.getByLabel("E-mail").fill("jane@example.com");
  await screenshot(page, "flight-chosen");

  // As a keyboard user moves a slider: one step at a time, to 150 % (or to 0 %).
  const [target, key] = choice === "none" ? ["0", "ArrowLeft"] : ["150", "ArrowRight"];
  await slider.focus();
  for (let step = 0; step < 20 && (await slider.inputValue()) !== target; step += 1) {
    await page.keyboard.press(key);
  }
  const price = page.locator("#offset-price");
  const amount = await price.getAttribute("data-amount");
  const currency = await price.getAttribute("data-currency");
  console.log(`PRICE ${amount} ${currency} ${await price.textContent()}`);
  console.log(`SLIDER ${await slider.getAttribute("aria-valuetext")}`);
  await screenshot(page, `slider-${target}`);
}

/** 0 %: no checkout, straight to the booking, and nothing to follow. */
async function bookedWithoutOffset(page) {
  await page.waitForURL((url) => url.pathname.startsWith("/booking/"));
  await page.locator("#reference").filter({ hasText: "SKY-" }).waitFor();
  console.log(`STATE ${await page.textContent("#status")}`);
  await screenshot(page, "booked-without-offset");
}

async function payOnHostedCheckout(page) {
  await page.waitForURL(/\/checkout\/cs_/);
  const total = await page.locator("tr.total td.num").textContent();
  console.log(`CHECKOUT ${total.trim()}`);
  await page.getByLabel("E-mail").fill("jane.doe@example.com");
  await screenshot(page, "hosted-checkout");
  const button = choice === "pay" ? "Pay" : "Decline";
  page.on("load", () => { loads += 1; });
  await page.getByRole("button", { name: button, exact: true }).click();
}

async function followOnBookingPage(page) {
  await page.waitForURL((url) => url.pathname.startsWith("/booking/"));
  console.log(`BOOKING ${new URL(page.url()).pathname.replace(/[^/]+$/, "…")}`);
  await page.locator("#reference").filter({ hasText: "SKY-" }).waitFor();
  await screenshot(page, "returned");

  const expected = choice === "pay" ? "Credits retired" : "Payment failed";
  const status = page.locator("#status").filter({ hasText: new RegExp(`^${expected}$`) });
  await status.waitFor({ timeout: 30_000 });
  console.log(`STATE ${await page.textContent("#status")}`);
  const steps = await page.locator(".timeline li.done").allTextContents();
  console.log(`STEPS ${steps.join(", ")}`);
  console.log(`LOADS ${loads}`);
  await screenshot(page, choice === "pay" ? "credits-retired" : "payment-failed");
}

async function openCertificate(page) {
  const certificate = page.getByRole("link", { name: "View your certificate" });
  console.log(`CERTIFICATE ${await certificate.getAttribute("href")}`);
  await certificate.click();
  await page.waitForURL(/\/certificates\//);
  const rows = page.locator("h2:text-is('Flights covered') + table tbody tr");
  for (const row of await rows.all()) {
    console.log(`CERT_FLIGHT ${(await row.locator("td").allTextContents()).join(" | ")}`);
  }
  console.log(`CERT_BENEFICIARY ${await page.locator(".lead strong").nth(1).textContent()}`);
  await screenshot(page, "certificate");
}

/** After a decline the flight stays booked; a new checkout for the offset is one click away. */
async function tryAgain(page) {
  await page.getByRole("button", { name: "Try the payment again" }).click();
  await page.waitForURL(/\/checkout\/cs_/);
  console.log(`RETRY ${(await page.locator("tr.total td.num").textContent()).trim()}`);
  await screenshot(page, "checkout-again");
}

async function screenshot(page, name) {
  shot += 1;
  const file = path.join(screenshots, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
}

/** No internet: whatever the pages load must come from this machine. */
async function offline(context) {
  await context.route("**/*", (route) => {
    const { hostname } = new URL(route.request().url());
    if (LOCAL_HOSTS.has(hostname)) return route.continue();
    errors.push(`offline: ${route.request().url()}`);
    return route.abort("internetdisconnected");
  });
}

/** Whether `text` holds the organization's API key, or any key sent as a bearer token. */
function holdsKey(text) {
  return text.includes(apiKey) || /Bearer\s+ctr_/i.test(text);
}

/** The organization's API key must never reach the browser, nor leave it. */
function watchForKey(context) {
  context.on("request", async (request) => {
    inspected.requests += 1;
    const headers = await request.allHeaders().catch(() => ({}));
    const sent = [request.url(), JSON.stringify(headers), request.postData() ?? ""].join("\n");
    if (holdsKey(sent)) leaks.push(`request ${request.method()} ${request.url()}`);
  });
  context.on("response", async (response) => {
    inspected.responses += 1;
    const headers = JSON.stringify(await response.allHeaders().catch(() => ({})));
    // Redirects have no body to read.
    const body = await response.text().catch(() => "");
    if (holdsKey(headers) || holdsKey(body)) leaks.push(`response ${response.url()}`);
  });
  context.on("page", watchFrames);
  for (const page of context.pages()) watchFrames(page);
}

function watchFrames(page) {
  page.on("websocket", (socket) => {
    const check = (direction) => ({ payload }) => {
      inspected.frames += 1;
      if (holdsKey(String(payload))) leaks.push(`websocket ${direction} ${socket.url()}`);
    };
    socket.on("framesent", check("sent"));
    socket.on("framereceived", check("received"));
  });
}

// Collects what would show in the browser's console as an error, and failed requests.
function watchForErrors(page) {
  page.on("pageerror", (error) => errors.push(String(error)));
  // Failed loads are reported by URL below; the console repeats them without one.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      errors.push(message.text());
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  page.on("requestfailed", (request) => {
    errors.push(`${request.failure()?.errorText} ${request.url()}`);
  });
}
