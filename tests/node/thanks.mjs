// Opens the thank-you page in headless Chromium and waits for it to show the credits retired.
// Prints STATE <label> and READY once the page is up (the test then pays), then RETIRED
// <certificate link>, the number of page loads and any console errors.
// Usage: node thanks.mjs <page url> <live | no-websocket>
import { chromium } from "playwright-core";

const [url, mode] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  let loads = 0;
  page.on("load", () => { loads += 1; });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  // Failed loads are reported by URL below; the console repeats them without one.
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
  if (mode === "no-websocket") {
    await page.addInitScript(() => { delete window.WebSocket; });
  }
  await page.goto(url);
  console.log(`STATE ${await page.textContent("#state")}`);
  console.log("READY");
  await page.waitForFunction(
    () => document.querySelector("#state")?.textContent === "Retired",
    null,
    { timeout: 30_000, polling: 100 },
  );
  console.log(`RETIRED ${await page.getAttribute("a.button", "href")}`);
  console.log(`LOADS ${loads}`);
  console.log(`ERRORS ${JSON.stringify(errors)}`);
} finally {
  await browser.close();
}
