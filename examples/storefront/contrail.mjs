// Everything the storefront's backend asks of Contrail: five GraphQL documents sent with the
// organization's API key. The key lives here, on the server, and nowhere else: the browser
// gets only what these calls return that is meant for it (figures, prices, the checkout URL,
// a payment's id and client secret).

/** Offset choices the slider offers: 10 % to 150 % in steps of 10 (0 % is "no offset"). */
export const OFFSET_PERCENTAGES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];

const AIRCRAFT = `query Aircraft($tailNumber: String!) {
  aircraft(tailNumber: $tailNumber) { id tailNumber archivedAt }
}`;

const REGISTER_AIRCRAFT = `mutation RegisterAircraft($input: RegisterAircraftInput!) {
  registerAircraft(input: $input) { aircraft { id tailNumber } }
}`;

const ESTIMATE = `mutation Estimate($input: EstimateEmissionInput!, $percentages: [Int!]!) {
  estimateEmission(input: $input) {
    estimate {
      id co2Kg safReductionKg netCo2Kg co2Tonnes expiresAt
      methodology { version }
      listing { project { name method registry } }
      offsetOptions(percentages: $percentages) { percentage tonnes price { amount currency } }
    }
  }
}`;

const CREATE_EMISSION = `mutation RecordFlight($input: CreateEmissionInput!) {
  createEmission(input: $input) { emission { id netCo2Kg } replayed }
}`;

const CREATE_PROVISION_CHECKOUT = `mutation OpenCheckout($input: CreateProvisionCheckoutInput!) {
  createProvisionCheckout(input: $input) {
    checkoutUrl
    payment { id clientSecret status amount { amount currency } }
    provision { quantityTonnes }
  }
}`;

const PAYMENT = `query Payment($id: ID!) {
  payment(id: $id) { id status retirementStatus }
}`;

/** A GraphQL error Contrail answered, with its `extensions.code`. */
export class ContrailError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.extensions?.code ?? "UNKNOWN";
    this.field = error.extensions?.field;
  }
}

export class Contrail {
  /** @param {{ url: string, apiKey: string }} options: Contrail's base URL and an API key. */
  constructor({ url, apiKey }) {
    this.endpoint = `${url}/graphql`;
    this.apiKey = apiKey;
  }

  async request(query, variables) {
    const response = await fetch(this.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${this.apiKey}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.json().catch(() => null);
    if (body?.errors?.length) throw new ContrailError(body.errors[0]);
    if (!response.ok || !body?.data) {
      throw new ContrailError({ message: `Contrail answered HTTP ${response.status}` });
    }
    return body.data;
  }

  /** Registers the aircraft unless it is already in the fleet (safe to run at every start). */
  async ensureAircraft({ tailNumber, modelCode }) {
    const aircraft = await this.request(AIRCRAFT, { tailNumber }).then(
      (data) => data.aircraft,
      (error) => {
        if (error.code === "NOT_FOUND") return null;
        throw error;
      },
    );
    if (aircraft && !aircraft.archivedAt) return false;
    try {
      await this.request(REGISTER_AIRCRAFT, { input: { tailNumber, modelCode } });
      return true;
    } catch (error) {
      // Another instance of the storefront registered it meanwhile.
      if (error.code === "CONFLICT") return false;
      throw error;
    }
  }

  /** The CO2 of a flight not yet booked, with the price of each offset choice. Records nothing. */
  async estimate(flight, saf) {
    const input = { tailNumber: flight.tailNumber, durationMinutes: flight.durationMinutes };
    if (saf) Object.assign(input, { safBlendPercent: saf.blendPercent, safPathway: saf.pathway });
    const data = await this.request(ESTIMATE, { input, percentages: OFFSET_PERCENTAGES });
    return data.estimateEmission.estimate;
  }

  /**
   * Records the booked flight from its estimate. `reference` (the booking's) makes a retry
   * answer the same emission instead of recording the flight twice.
   */
  async recordFlight(estimateId, flight, reference) {
    const data = await this.request(CREATE_EMISSION, {
      input: {
        estimateId,
        departedAt: flight.departedAt,
        origin: flight.origin.code,
        destination: flight.destination.code,
        externalReference: reference,
      },
    });
    return data.createEmission.emission;
  }

  /**
   * Opens Contrail's hosted checkout for `percentage` % of the emission; the customer comes
   * back to `redirectUrl` whatever happened there (the redirect proves nothing: follow the
   * payment). `reference` makes a retry answer the same checkout.
   */
  async openCheckout({ emissionId, percentage, redirectUrl, customer, retirementMessage, reference }) {
    const data = await this.request(CREATE_PROVISION_CHECKOUT, {
      input: {
        emissionIds: [emissionId],
        offsetPercentage: percentage,
        redirectUrl,
        customerEmail: customer.email,
        beneficiaryName: customer.name,
        retirementMessage,
        externalReference: reference,
      },
    });
    return data.createProvisionCheckout;
  }

  async payment(id) {
    return (await this.request(PAYMENT, { id })).payment;
  }
}
