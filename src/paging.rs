//! Keyset pages: the rows after (or before) a key, in key order. Cursors stay valid while rows
//! are added, and pages never skip or repeat a row.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which end of the list a page is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The first `size` rows (after `after`).
    Forward,
    /// The last `size` rows (before `before`).
    Backward,
}

/// At most `size` rows between the keys `after` and `before` (both exclusive), counted from
/// the start or from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub size: u64,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub direction: Direction,
}

impl Page {
    /// How many rows to fetch: one more than the page tells whether another page follows.
    pub fn fetch_limit(self) -> u64 {
        self.size + 1
    }

    /// Whether rows are fetched from the end of the list (newest key first).
    pub fn is_backward(self) -> bool {
        self.direction == Direction::Backward
    }

    /// Keyset-filters and orders `select` by its `key` column for this page: ascending from
    /// the start, descending from the end (the caller puts the rows back in key order).
    pub fn apply<E: EntityTrait>(self, select: Select<E>, key: E::Column) -> Select<E> {
        let select = match self.after {
            Some(after) => select.filter(key.gt(after)),
            None => select,
        };
        let select = match self.before {
            Some(before) => select.filter(key.lt(before)),
            None => select,
        };
        let select = match self.direction {
            Direction::Forward => select.order_by_asc(key),
            Direction::Backward => select.order_by_desc(key),
        };
        select.limit(self.fetch_limit())
    }
}
