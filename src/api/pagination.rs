//! Relay connections over keyset pages (see [`crate::paging`]), built with async-graphql's
//! `connection` module: an `OpaqueCursor` carries the key of the last row seen.

use async_graphql::connection::{self, Connection, Edge, OpaqueCursor};
use async_graphql::{Context, Object, OutputType};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, QueryTrait, Select};

use super::context::ContextExt;
use super::errors::{ApiError, ApiResult};
use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};

pub type Cursor = OpaqueCursor<i64>;
pub type Paginated<N> = Connection<Cursor, N, TotalCount>;

/// Reads a connection's `first` (1 to 100, 20 when absent) and `after` into a page.
pub async fn page(first: Option<i32>, after: Option<String>) -> ApiResult<Page> {
    let size = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(first) => u64::try_from(first)
            .ok()
            .filter(|first| (1..=MAX_PAGE_SIZE).contains(first))
            .ok_or_else(|| {
                ApiError::bad_input("first", format!("must be from 1 to {MAX_PAGE_SIZE}"))
            })?,
    };
    // `first` is checked above: the only error left is a cursor that does not decode.
    connection::query_with(
        after,
        None,
        None,
        None,
        |after: Option<Cursor>, _, _, _| async move {
            Ok::<_, async_graphql::Error>(Page {
                size,
                after: after.map(|cursor| cursor.0),
            })
        },
    )
    .await
    .map_err(|_| ApiError::bad_input("after", "is not a cursor of this list"))
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

/// The connection of a page of rows fetched with [`Page::fetch_limit`].
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
        .map(|row| Edge::new(OpaqueCursor(key(&row)), node(row)))
        .collect();
    connection
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::connection::CursorType;

    #[tokio::test]
    async fn bounds_page_size_and_reads_cursors() {
        assert_eq!(page(None, None).await.unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(page(Some(100), None).await.unwrap().size, 100);
        assert!(page(Some(101), None).await.is_err());
        assert!(page(Some(0), None).await.is_err());
        assert!(page(Some(10), Some("nonsense".into())).await.is_err());
        let cursor = OpaqueCursor(7_i64).encode_cursor();
        assert_eq!(page(Some(10), Some(cursor)).await.unwrap().after, Some(7));
    }
}
