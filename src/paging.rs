//! Keyset pages: the rows after a key, in key order. Cursors stay valid while rows are added,
//! and pages never skip or repeat a row.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A page of at most `size` rows whose key is greater than `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub size: u64,
    pub after: Option<i64>,
}

impl Page {
    /// How many rows to fetch: one more than the page tells whether another page follows.
    pub fn fetch_limit(self) -> u64 {
        self.size + 1
    }

    /// Keyset-filters and orders `select` by its `key` column for this page.
    pub fn apply<E: EntityTrait>(self, select: Select<E>, key: E::Column) -> Select<E> {
        let select = match self.after {
            Some(after) => select.filter(key.gt(after)),
            None => select,
        };
        select.order_by_asc(key).limit(self.fetch_limit())
    }
}
