//! SQLite's memory, taken from the process's allocator (mimalloc, see `lib.rs`) without
//! SQLite's global lock.
//!
//! By default SQLite counts every allocation under one process-wide mutex (for
//! `sqlite3_memory_used`, which nothing here reads) and allocates with the C library's malloc.
//! sqlx copies each column of each row it reads (`sqlite3_value_dup`) on a connection's thread
//! and frees the copy on the request's: a page of 100 emissions is thousands of allocations,
//! which serialized 16 concurrent requests on that mutex and on glibc's arena locks (reads
//! bench, W1 with 16 clients: 84 thread switches per request before, 12 after, and about 30 %
//! more requests per second).

use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::OnceLock;

use libsqlite3_sys::{
    SQLITE_CONFIG_MALLOC, SQLITE_CONFIG_MEMSTATUS, SQLITE_OK, sqlite3_config, sqlite3_mem_methods,
};

/// Where a block's size is kept, in front of what SQLite gets; 8 bytes also keep the 8-byte
/// alignment SQLite requires.
const HEADER: usize = 8;
const ALIGN: usize = 8;

/// Configures SQLite's memory, once per process and before any connection opens (SQLite
/// refuses it once initialized; it then keeps its defaults, which work, only slower).
pub fn configure() -> Result<(), String> {
    static CONFIGURED: OnceLock<Result<(), String>> = OnceLock::new();
    CONFIGURED
        .get_or_init(|| {
            // SAFETY: no connection is open yet (this runs before the first, once), so nothing
            // else is calling into SQLite; MEMSTATUS takes an int, MALLOC a pointer to methods
            // SQLite copies.
            let statuses = unsafe {
                [
                    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
                    sqlite3_config(SQLITE_CONFIG_MALLOC, &METHODS as *const sqlite3_mem_methods),
                ]
            };
            match statuses.iter().find(|status| **status != SQLITE_OK) {
                None => Ok(()),
                Some(status) => Err(format!(
                    "SQLite refused to take its memory from the process's allocator (code {status}): it was initialized before"
                )),
            }
        })
        .clone()
}

const METHODS: sqlite3_mem_methods = sqlite3_mem_methods {
    xMalloc: Some(allocate),
    xFree: Some(free),
    xRealloc: Some(reallocate),
    xSize: Some(size),
    xRoundup: Some(round_up),
    xInit: Some(init),
    xShutdown: Some(shutdown),
    pAppData: null_mut(),
};

/// The layout of a block holding `size` bytes for SQLite; none for a size SQLite never asks.
fn layout(size: c_int) -> Option<Layout> {
    let size = usize::try_from(size).ok().filter(|size| *size > 0)?;
    Layout::from_size_align(size.checked_add(HEADER)?, ALIGN).ok()
}

/// The block of `memory` (a pointer [`allocate`] returned) and the layout it was allocated with.
///
/// # Safety
/// `memory` must come from [`allocate`] or [`reallocate`] and not be freed.
unsafe fn block_of(memory: *mut c_void) -> (*mut u8, Layout) {
    // SAFETY: the block starts HEADER bytes before, with the size written there.
    unsafe {
        let block = memory.cast::<u8>().sub(HEADER);
        let size = block.cast::<usize>().read();
        (
            block,
            Layout::from_size_align_unchecked(size + HEADER, ALIGN),
        )
    }
}

/// Writes the size into `block`'s header and returns what SQLite gets of it.
///
/// # Safety
/// `block` must be null or a fresh block of at least `size + HEADER` bytes.
unsafe fn hand_out(block: *mut u8, size: c_int) -> *mut c_void {
    if block.is_null() {
        return null_mut();
    }
    // SAFETY: the block is ours, ALIGN-aligned and larger than its header.
    unsafe {
        block.cast::<usize>().write(size as usize);
        block.add(HEADER).cast()
    }
}

unsafe extern "C" fn allocate(size: c_int) -> *mut c_void {
    let Some(layout) = layout(size) else {
        return null_mut();
    };
    // SAFETY: the layout's size is at least HEADER + 1, never zero.
    unsafe { hand_out(alloc(layout), size) }
}

unsafe extern "C" fn free(memory: *mut c_void) {
    if memory.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what this allocator gave it, once.
    unsafe {
        let (block, layout) = block_of(memory);
        dealloc(block, layout);
    }
}

unsafe extern "C" fn reallocate(memory: *mut c_void, size: c_int) -> *mut c_void {
    if memory.is_null() {
        // SAFETY: as `allocate` itself.
        return unsafe { allocate(size) };
    }
    let Some(new) = layout(size) else {
        return null_mut();
    };
    // SAFETY: SQLite reallocates only what this allocator gave it; the new size is not zero
    // and fits a layout of the same alignment. On failure the old block stays SQLite's.
    unsafe {
        let (block, old) = block_of(memory);
        hand_out(realloc(block, old, new.size()), size)
    }
}

unsafe extern "C" fn size(memory: *mut c_void) -> c_int {
    if memory.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks the size only of what this allocator gave it.
    unsafe { memory.cast::<u8>().sub(HEADER).cast::<usize>().read() as c_int }
}

unsafe extern "C" fn round_up(size: c_int) -> c_int {
    size.saturating_add(ALIGN as c_int - 1) & !(ALIGN as c_int - 1)
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

#[cfg(test)]
mod tests {
    use libsqlite3_sys::{sqlite3_free, sqlite3_malloc, sqlite3_msize, sqlite3_realloc};

    #[tokio::test]
    async fn sqlite_allocates_from_the_process_allocator() {
        // Opening a connection configures SQLite first, whichever test opens one first.
        super::super::connect_with("sqlite::memory:", 1)
            .await
            .unwrap();
        assert_eq!(super::configure(), Ok(()));
        // SAFETY: blocks from SQLite's allocator, used within their sizes and freed once.
        unsafe {
            let memory = sqlite3_malloc(100);
            assert!(!memory.is_null());
            // Only this allocator's header records exactly the size asked for.
            assert_eq!(
                memory
                    .cast::<u8>()
                    .sub(super::HEADER)
                    .cast::<usize>()
                    .read(),
                100
            );
            assert_eq!(sqlite3_msize(memory), 100);
            memory.cast::<u8>().write_bytes(7, 100);
            let grown = sqlite3_realloc(memory, 1000);
            assert!(!grown.is_null());
            assert_eq!(sqlite3_msize(grown), 1000);
            assert_eq!(grown.cast::<u8>().add(99).read(), 7);
            sqlite3_free(grown);
        }
    }
}
