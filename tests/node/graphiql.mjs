// Opens GraphiQL in headless Chromium and uses it as the README tells a customer to: loads the
// schema, finds the type Emission in the Docs explorer, puts the API key in the Headers tab and
// runs a query that needs it. Prints one line per check:
//   LOADED                 GraphiQL rendered and the schema loaded
//   PANE ""                what the result pane shows once the schema loaded (empty: no error)
//   DOCS Emission          the title of the Docs page the search for Emission opened
//   RESULT {"data":…}      what the result pane shows after running the query
//   ERRORS […]             console errors, page errors and failed requests, in order
// or FAILED <reason> when a step did not happen; exits non-zero if any check failed.
// Usage: node graphiql.mjs <graphql url> <api key>
import { chromium } from "playwright-core";

const [url, key] = process.argv.slice(2);
const QUERY = "{ fleet { totalCount edges { node { tailNumber } } } }";

// GraphiQL 3 (tools/graphiql) renders CodeMirror 5 editors; these are their containers.
const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
const HEADERS_EDITOR =
  'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
const RESULT_PANE = "section.result-window .CodeMirror";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let failed = false;
try {
  const page = await browser.newPage();
  // Shorter than the Rust test's wait for a line, so a missing element is reported here.
  page.setDefaultTimeout(20_000);
  const errors = watchForErrors(page);

  await page.goto(url);
  await page.click('button[aria-label="Show Documentation Explorer"]');
  // The explorer lists the root types once the introspection result is in the page.
  await page.waitForSelector(".graphiql-doc-explorer-root-type");
  console.log("LOADED");

  // A failed introspection or a rejected request would be shown here.
  const pane = await editorText(page, RESULT_PANE);
  console.log(`PANE ${JSON.stringify(pane)}`);
  failed ||= pane !== "";

  await page.fill(".graphiql-doc-explorer-search input", "Emission");
  // The search also lists Emission* types and fields named emission: pick the type itself.
  const typeName = page
    .locator(".graphiql-doc-explorer-search-type")
    .getByText("Emission", { exact: true });
  await page
    .locator('.graphiql-doc-explorer-search [role="option"]')
    .filter({ has: typeName })
    .filter({ hasNot: page.locator(".graphiql-doc-explorer-search-field") })
    .click();
  await page.waitForSelector('.graphiql-doc-explorer-title:text-is("Emission")');
  const title = await page.textContent(".graphiql-doc-explorer-title");
  console.log(`DOCS ${title}`);

  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  await replaceEditorText(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${key}` }));
  await replaceEditorText(page, QUERY_EDITOR, QUERY);
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    (selector) => document.querySelector(selector).CodeMirror.getValue() !== "",
    RESULT_PANE,
  );
  const result = JSON.parse(await editorText(page, RESULT_PANE));
  console.log(`RESULT ${JSON.stringify(result)}`);
  failed ||= result.errors !== undefined || result.data == null;

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
  page.on("requestfailed", (request) => {
    errors.push(`${request.failure()?.errorText} ${request.url()}`);
  });
  return errors;
}

// The text of a CodeMirror editor, whole (the DOM holds only the lines in view).
function editorText(page, selector) {
  return page.$eval(selector, (editor) => editor.CodeMirror.getValue());
}

// Types over an editor's text as a user would: click in it, select all, type. The text goes in
// as one input event, so CodeMirror's bracket auto-closing does not add to it.
async function replaceEditorText(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.insertText(text);
  const typed = await editorText(page, selector);
  if (typed !== text) {
    const holds = `holds ${JSON.stringify(typed)}, not ${JSON.stringify(text)}`;
    throw new Error(`the editor ${selector} ${holds}`);
  }
}
