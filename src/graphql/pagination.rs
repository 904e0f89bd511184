//! Relay connections with keyset pagination on the primary key: cursors stay valid while
//! rows are added, and pages never skip or repeat a row.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, QueryTrait, Select};

use crate::error::{Error, Result};
use crate::graphql::context::ContextExt;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated `first`/`after` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub size: u64,
    pub after: Option<i64>,
}

impl Page {
    pub fn parse(first: Option<i32>, after: Option<String>) -> Result<Page> {
        let size = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(first) => u64::try_from(first)
                .ok()
                .filter(|first| (1..=MAX_PAGE_SIZE).contains(first))
                .ok_or_else(|| {
                    Error::bad_input("first", format!("must be from 1 to {MAX_PAGE_SIZE}"))
                })?,
        };
        let after = after
            .map(|cursor| {
                KeyCursor::decode_cursor(&cursor)
                    .map(|cursor| cursor.0)
                    .map_err(|_| Error::bad_input("after", "is not a cursor of this list"))
            })
            .transpose()?;
        Ok(Page { size, after })
    }

    /// How many rows to fetch: one more than the page tells whether another page follows.
    pub fn fetch_limit(self) -> u64 {
        self.size + 1
    }
}

/// The primary key of the last row seen.
pub struct KeyCursor(pub i64);

impl CursorType for KeyCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| "not base64")?;
        let raw = std::str::from_utf8(&raw).map_err(|_| "not text")?;
        raw.strip_prefix("after:")
            .and_then(|key| key.parse().ok())
            .map(KeyCursor)
            .ok_or("not a cursor")
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("after:{}", self.0))
    }
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
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let db = ctx.db();
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
            .from_subquery(self.0.clone(), Alias::new("listed"))
            .to_owned();
        let row = db.query_one(&count).await?;
        let count: i64 = row
            .map(|row| row.try_get("", "count"))
            .transpose()?
            .unwrap_or_default();
        Ok(count as u64)
    }
}

pub type Paginated<N> = Connection<KeyCursor, N, TotalCount>;

/// Keyset-filters and orders `select` by its primary key column for one page.
pub fn page_query<E: EntityTrait>(select: Select<E>, key: E::Column, page: Page) -> Select<E>
where
    E::Column: sea_orm::ColumnTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let select = match page.after {
        Some(after) => select.filter(key.gt(after)),
        None => select,
    };
    select.order_by_asc(key).limit(page.fetch_limit())
}

/// Builds the connection from rows fetched with [`Page::fetch_limit`].
pub fn connection<R, N: OutputType>(
    mut rows: Vec<R>,
    page: Page,
    total: TotalCount,
    key: impl Fn(&R) -> i64,
    node: impl Fn(R) -> N,
) -> Paginated<N> {
    let has_next_page = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    let mut connection =
        Connection::with_additional_fields(page.after.is_some(), has_next_page, total);
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(KeyCursor(key(&row)), node(row)))
        .collect();
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_page_size() {
        assert_eq!(Page::parse(None, None).unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(Page::parse(Some(100), None).unwrap().size, 100);
        assert!(Page::parse(Some(101), None).is_err());
        assert!(Page::parse(Some(0), None).is_err());
        assert!(Page::parse(Some(10), Some("nonsense".into())).is_err());
        let cursor = KeyCursor(7).encode_cursor();
        assert_eq!(Page::parse(Some(10), Some(cursor)).unwrap().after, Some(7));
    }
}
