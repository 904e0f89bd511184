// Runs graphql-http's GraphQL-over-HTTP conformance audits against a server. Prints each audit
// that did not pass, with what the server answered:
//   ERROR <id> <name>: <reason>; answered <status> <content-type> <body>   (a MUST)
//   WARN <id> <name>: …                                                    (a SHOULD)
//   NOTICE <id> <name>: …                                                  (a MAY)
// then TALLY ok=<n> notice=<n> warn=<n> error=<n> total=<n>. Exits 0 once the audits ran,
// whatever they found: the caller decides which results it requires.
// Usage: node audit.mjs <graphql url>
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
// Enough of a body to recognise the error it carries, short enough for one line.
const BODY_CHARACTERS = 300;

const results = await auditServer({ url });
const tally = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  tally[result.status] += 1;
  if (result.status !== "ok") {
    const answer = await summarize(result.response);
    const audit = `${result.status.toUpperCase()} ${result.id} ${result.name}`;
    console.log(`${audit}: ${result.reason}; answered ${answer}`);
  }
}
const counts = Object.entries(tally).map(([status, count]) => `${status}=${count}`);
console.log(`TALLY ${counts.join(" ")} total=${results.length}`);

async function summarize(response) {
  const contentType = response.headers.get("content-type") ?? "(no content-type)";
  // Audits that failed on the body have already read it; the others keep it for us.
  let body = "(body already read)";
  if (!response.bodyUsed) {
    body = (await response.text()).replace(/\s+/g, " ");
    if (body.length > BODY_CHARACTERS) {
      body = `${body.slice(0, BODY_CHARACTERS)}…`;
    }
  }
  return `${response.status} ${contentType} ${body}`;
}
