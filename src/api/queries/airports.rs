use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Object, SimpleObject};

use crate::api::errors::{ApiError, ApiResult};
use crate::api::inputs;
use crate::api::pagination::{Cursor, PageArgs, page};
use crate::api::types::airport::AirportNode;
use crate::paging::Direction;

#[derive(Default)]
pub struct AirportsQuery;

/// How many airports the whole list holds.
#[derive(SimpleObject)]
pub struct AirportCount {
    /// Number of airports in the whole list, all pages together.
    total_count: u64,
}

#[Object]
impl AirportsQuery {
    /// The airport a code names: a 4-character ICAO code or a 3-letter IATA code, as route
    /// estimates resolve them; null when no airport has it. Public.
    async fn airport(
        &self,
        #[graphql(desc = "ICAO (4 characters) or IATA (3 letters) code, any case.")] code: String,
    ) -> Option<AirportNode> {
        crate::airports::resolve(&code).ok().map(AirportNode)
    }

    /// Airports in ICAO order, optionally those whose ICAO or IATA code, name or city contains
    /// `search` (case-insensitive). Public.
    async fn airports(
        &self,
        #[graphql(
            desc = "Case-insensitive text found in the codes, name or city (at most 100 characters); all when null or blank."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size from the start (1 to 100; 20 when neither first nor last).")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
    ) -> ApiResult<Connection<Cursor, AirportNode, AirportCount>> {
        let search = search
            .map(|search| inputs::text(&search, 100, "search"))
            .transpose()?;
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let all = crate::airports::all();
        let matching = crate::airports::matching(search.as_deref());
        let total_count = matching.len() as u64;
        let in_range = |index: &usize| {
            let key = *index as i64;
            page.after.is_none_or(|after| key > after)
                && page.before.is_none_or(|before| key < before)
        };
        let within: Vec<usize> = matching.into_iter().filter(in_range).collect();
        let size =
            usize::try_from(page.size).map_err(|_| ApiError::bad_input("first", "too large"))?;
        let (chosen, has_previous_page, has_next_page) = match page.direction {
            Direction::Forward => (
                within.iter().take(size).copied().collect::<Vec<_>>(),
                page.after.is_some(),
                within.len() > size,
            ),
            Direction::Backward => (
                within[within.len().saturating_sub(size)..].to_vec(),
                within.len() > size,
                page.before.is_some(),
            ),
        };
        let mut connection = Connection::with_additional_fields(
            has_previous_page,
            has_next_page,
            AirportCount { total_count },
        );
        connection.edges = chosen
            .into_iter()
            .map(|index| Edge::new(OpaqueCursor(index as i64), AirportNode(&all[index])))
            .collect();
        Ok(connection)
    }
}
