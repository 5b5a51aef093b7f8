//! The global allocator: mimalloc for everything but large blocks, which go to the system
//! allocator (glibc, which `main` makes serve them with mmap and give them back when freed).
//!
//! mimalloc made the token row 15 % cheaper (malloc and free were ~20 % of it), but it keeps a
//! freed block for its purge delay (10 ms), so two 7 MiB argon2id blocks of logins one after
//! another were resident together (the code flow's peak RSS 40.6 MiB). Purging at once
//! (`mi_option_purge_delay` 0) fixed that and cost every small block its pages: natively, 7.8
//! % of the client_credentials row's CPU went to page faults on freshly allocated buffers and
//! 1.7 % to `madvise` (bench/README.md, "The allocator's page faults"), which instruction
//! counts do not show. Blocks of [`LARGE`] and more (argon2id's, a large request body) now
//! bypass mimalloc, which keeps its default delay for the rest.

use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this size or more go to the system allocator: glibc's mmap threshold as `main`
/// fixes it, so each is its own mapping, unmapped when freed.
pub const LARGE: usize = 1 << 20;

/// mimalloc below [`LARGE`], the system allocator from it on.
pub struct SplitAllocator;

fn is_large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: every block is freed (or resized) by the allocator that made it: which one is a
// function of its size, and Rust passes `dealloc` and `realloc` the layout it was allocated
// with. A `realloc` that crosses `LARGE` allocates with the other allocator, copies the bytes
// both sizes hold, and frees the old block with its own.
unsafe impl GlobalAlloc for SplitAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe {
            if is_large(layout.size()) {
                System.alloc(layout)
            } else {
                MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if is_large(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with `layout`, so from the allocator picked here.
        unsafe {
            if is_large(layout.size()) {
                System.dealloc(ptr, layout)
            } else {
                MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same-side resizes go to the allocator that made `ptr`; a crossing one makes a
        // new block of `new_size` (a valid layout: the caller guarantees it), copies the bytes
        // both blocks hold, and frees `ptr` with `layout`.
        unsafe {
            match (is_large(layout.size()), is_large(new_size)) {
                (true, true) => System.realloc(ptr, layout, new_size),
                (false, false) => MiMalloc.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LARGE;

    /// The process's own allocator is the one under test (`main.rs` installs it).
    #[test]
    fn blocks_keep_their_bytes_when_they_grow_and_shrink_across_the_threshold() {
        let mut bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let expected = bytes.clone();
        bytes.reserve_exact(LARGE * 2);
        assert_eq!(bytes, expected);
        bytes.resize(LARGE + 10, 7);
        bytes.shrink_to_fit();
        assert_eq!(&bytes[..1000], &expected[..]);
        bytes.truncate(1000);
        bytes.shrink_to_fit();
        assert_eq!(bytes, expected);
        let zeroed = vec![0u8; LARGE * 3];
        assert!(zeroed.iter().all(|&b| b == 0));
    }
}
