// The Relay documents the client tests compile with relay-compiler (persisted, SHA-256 ids) and
// then run by id against a server that only runs trusted documents. Never executed as code:
// relay-compiler reads the graphql tags.

// A page: one aircraft with its emissions, the organization's latest emissions, its fleet size.
graphql`
  query ClientsQuery($tail: String!, $count: Int!, $last: Int!) {
    aircraft(tailNumber: $tail) {
      ...ClientsAircraft_aircraft @arguments(count: $count)
    }
    ...ClientsHistory_query @arguments(last: $last)
    fleet(first: 1) {
      totalCount
    }
  }
`;

// Forwards paging (first/after) on a Node: refetched through `node(id:)`.
graphql`
  fragment ClientsAircraft_aircraft on Aircraft
  @refetchable(queryName: "ClientsAircraftPaginationQuery")
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" }) {
    id
    tailNumber
    model {
      code
    }
    emissions(first: $count, after: $cursor) @connection(key: "ClientsAircraft_emissions") {
      totalCount
      edges {
        node {
          id
          departedAt
          co2Kg
        }
      }
    }
  }
`;

// Backwards paging (last/before) on a root connection.
graphql`
  fragment ClientsHistory_query on Query
  @refetchable(queryName: "ClientsHistoryPaginationQuery")
  @argumentDefinitions(last: { type: "Int!" }, before: { type: "String" }) {
    emissions(last: $last, before: $before) @connection(key: "ClientsHistory_emissions") {
      totalCount
      edges {
        node {
          id
          departedAt
        }
      }
    }
  }
`;

graphql`
  mutation ClientsUpdateAircraftMutation($input: UpdateAircraftInput!) {
    updateAircraft(input: $input) {
      aircraft {
        id
        ...ClientsAircraft_aircraft @arguments(count: 1)
      }
    }
  }
`;
