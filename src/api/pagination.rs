//! Relay connections over keyset pages (see [`crate::paging`]), built with async-graphql's
//! `connection` module: an `OpaqueCursor` carries the key of the last row seen.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Object, OutputType};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, QueryTrait, Select};

use super::context::ContextExt;
use super::errors::{ApiError, ApiResult};
use crate::paging::{DEFAULT_PAGE_SIZE, Direction, MAX_PAGE_SIZE, Page};

pub type Cursor = OpaqueCursor<i64>;
pub type Paginated<N> = Connection<Cursor, N, TotalCount>;

/// A connection's arguments, as the Relay cursor-connections specification names them.
#[derive(Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Reads a connection's arguments into a page: `first` or `last` (1 to 100; 20 first when
/// neither), `after` and `before` cursors of this list.
pub async fn page(args: PageArgs) -> ApiResult<Page> {
    let size = |count: Option<i32>, field: &'static str| -> ApiResult<Option<u64>> {
        count
            .map(|count| {
                u64::try_from(count)
                    .ok()
                    .filter(|count| (1..=MAX_PAGE_SIZE).contains(count))
                    .ok_or_else(|| {
                        ApiError::bad_input(field, format!("must be from 1 to {MAX_PAGE_SIZE}"))
                    })
            })
            .transpose()
    };
    let (size, direction) = match (size(args.first, "first")?, size(args.last, "last")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(
                "last",
                "give first or last, not both: first pages forward, last backward",
            ));
        }
        (Some(first), None) => (first, Direction::Forward),
        (None, Some(last)) => (last, Direction::Backward),
        (None, None) => (DEFAULT_PAGE_SIZE, Direction::Forward),
    };
    let decode = |cursor: Option<String>, field: &'static str| -> ApiResult<Option<i64>> {
        cursor
            .map(|cursor| {
                Cursor::decode_cursor(&cursor)
                    .map(|cursor| cursor.0)
                    .map_err(|_| ApiError::bad_input(field, "is not a cursor of this list"))
            })
            .transpose()
    };
    Ok(Page {
        size,
        after: decode(args.after, "after")?,
        before: decode(args.before, "before")?,
        direction,
    })
}

/// A cursor naming the row with this key, as clients of either API see it.
pub fn encode_cursor(key: i64) -> String {
    OpaqueCursor(key).encode_cursor()
}

/// The key a cursor names, if it is one.
pub fn decode_cursor(cursor: &str) -> Option<i64> {
    Cursor::decode_cursor(cursor).ok().map(|cursor| cursor.0)
}

/// `totalCount`, counted only when a client asks for it.
pub struct TotalCount(SelectStatement);

impl TotalCount {
    pub fn of<E: EntityTrait>(select: &Select<E>) -> Self {
        let mut query = select.clone();
        QueryTrait::query(&mut query).clear_order_by();
        TotalCount(query.into_query())
    }
}

#[Object]
impl TotalCount {
    /// Number of items in the whole list, all pages together.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
            .from_subquery(self.0.clone(), Alias::new("listed"))
            .to_owned();
        let row = ctx.db().query_one(&count).await?;
        let count: i64 = row
            .map(|row| row.try_get("", "count"))
            .transpose()?
            .unwrap_or_default();
        Ok(count as u64)
    }
}

/// The connection of a page of rows fetched with [`Page::apply`] (or in its order).
pub fn connection<R, N: OutputType>(
    mut rows: Vec<R>,
    page: Page,
    total: TotalCount,
    key: impl Fn(&R) -> i64,
    node: impl Fn(R) -> N,
) -> Paginated<N> {
    let more = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    // A cursor names a row of this list, so paging from one means rows lie beyond it.
    let (has_previous_page, has_next_page) = match page.direction {
        Direction::Forward => (page.after.is_some(), more),
        Direction::Backward => {
            rows.reverse();
            (more, page.before.is_some())
        }
    };
    let mut connection =
        Connection::with_additional_fields(has_previous_page, has_next_page, total);
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(OpaqueCursor(key(&row)), node(row)))
        .collect();
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(first: Option<i32>, after: Option<String>) -> PageArgs {
        PageArgs {
            first,
            after,
            ..PageArgs::default()
        }
    }

    #[tokio::test]
    async fn bounds_page_size_and_reads_cursors() {
        assert_eq!(
            page(forward(None, None)).await.unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(page(forward(Some(100), None)).await.unwrap().size, 100);
        assert!(page(forward(Some(101), None)).await.is_err());
        assert!(page(forward(Some(0), None)).await.is_err());
        assert!(
            page(forward(Some(10), Some("nonsense".into())))
                .await
                .is_err()
        );
        let cursor = OpaqueCursor(7_i64).encode_cursor();
        assert_eq!(
            page(forward(Some(10), Some(cursor.clone())))
                .await
                .unwrap()
                .after,
            Some(7)
        );
        let backward = page(PageArgs {
            last: Some(5),
            before: Some(cursor),
            ..PageArgs::default()
        })
        .await
        .unwrap();
        assert_eq!(
            (backward.size, backward.before, backward.direction),
            (5, Some(7), Direction::Backward)
        );
        let both = PageArgs {
            first: Some(1),
            last: Some(1),
            ..PageArgs::default()
        };
        assert!(page(both).await.is_err());
    }
}
