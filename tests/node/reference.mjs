// Opens the REST reference page (/openapi, Swagger UI) in headless Chromium and uses it as a
// reader would: the document loads, the API key goes into "Authorize", and "Try it out" runs
// GET /api/fleet with it. Prints one line per check:
//   OPERATIONS 13          the operations the page lists once /openapi.json loaded
//   TRIED 200 1            the status and the fleet's size "Try it out" answered
//   ERRORS […]             console errors, page errors and failed requests, in order
// or FAILED <reason> when a step did not happen; exits non-zero if any check failed.
// Usage: node reference.mjs <reference page url> <api key>
import { chromium } from "playwright-core";

const [url, key] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  const errors = watchForErrors(page);
  const elsewhere = [];
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== new URL(url).origin) elsewhere.push(request.url());
  });

  await page.goto(url);
  await page.waitForSelector(".opblock");
  const operations = await page.locator(".opblock").count();
  console.log(`OPERATIONS ${operations}`);

  await page.click(".auth-wrapper button.authorize");
  await page.fill(".auth-container input", key);
  await page.click(".auth-btn-wrapper button.authorize");
  await page.click(".auth-btn-wrapper button.btn-done");

  const fleet = page.locator("#operations-Fleet-listFleet");
  await fleet.locator(".opblock-summary").click();
  await fleet.locator("button.try-out__btn").click();
  await fleet.locator("button.execute").click();
  const status = fleet.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor();
  const body = await fleet.locator(".live-responses-table .microlight").first().textContent();
  const size = JSON.parse(body).data.length;
  console.log(`TRIED ${(await status.textContent()).trim()} ${size}`);

  errors.push(...elsewhere.map((address) => `asked another server: ${address}`));
  console.log(`ERRORS ${JSON.stringify(errors)}`);
  failed ||= errors.length > 0;
} catch (error) {
  console.log(`FAILED ${String(error).split("\n")[0]}`);
  failed = true;
} finally {
  await browser.close();
}
process.exitCode = failed ? 1 : 0;

// Collects what would show in the browser's console as an error, and failed requests.
function watchForErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      errors.push(message.text());
    }
  });
  // The browser asks for a favicon the page does not have.
  page.on("response", (response) => {
    if (response.status() >= 400 && !response.url().endsWith("/favicon.ico")) {
      errors.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on("requestfailed", (request) => {
    errors.push(`${request.failure()?.errorText} ${request.url()}`);
  });
  return errors;
}
