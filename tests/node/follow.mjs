// Follows one payment as a shop's frontend would: the npm graphql-ws client, authenticated by
// the payment's client secret (the README's example). Prints one line per state, then
// COMPLETE. Usage: node follow.mjs <ws://…/graphql> <paymentId> <clientSecret>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, paymentId, clientSecret] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { clientSecret },
  retryAttempts: 0,
});
const query = `subscription ($id: ID!) {
  paymentStatusChanged(paymentId: $id) { status retirementStatus certificate { url } }
}`;

try {
  for await (const result of client.iterate({ query, variables: { id: paymentId } })) {
    if (result.errors) {
      console.log(`ERROR ${JSON.stringify(result.errors)}`);
      process.exitCode = 1;
      break;
    }
    const payment = result.data.paymentStatusChanged;
    console.log(`${payment.status} ${payment.retirementStatus} ${payment.certificate?.url ?? "-"}`);
  }
  console.log("COMPLETE");
} catch (error) {
  console.log(`FAILED ${error?.code ?? ""} ${error?.reason ?? error}`);
  process.exitCode = 1;
} finally {
  await client.dispose();
}
