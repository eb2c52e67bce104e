//! 32-bit Mersenne Twister (MT19937) matching the engine behind PyTorch's CPU
//! generator.
//!
//! The engine is the standard MT19937 of Matsumoto and Nishimura: the
//! `init_genrand` seeding recurrence (multiplier 1812433253), the usual twist
//! and the usual tempering. Like PyTorch, only the low 32 bits of the 64-bit
//! seed reach the engine, so `new(s)` and `new(s + (1 << 32))` produce the same
//! stream.
//!
//! Besides the 624-word state the engine tracks two counters in the form
//! PyTorch stores them in its serialized generator state: `next`, the index of
//! the next word to temper, and `left`, a countdown that triggers the twist
//! when it reaches zero. Right after seeding `left == 1` and `next == 0`, so
//! the very first draw twists; after `k` draws following a twist
//! (`1 <= k <= 624`) `left == 625 - k` and `next == k`.

/// Number of 32-bit words in the MT19937 state.
pub const STATE_WORDS: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// MT19937 engine with PyTorch's seeding and counter conventions.
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; STATE_WORDS],
    left: u32,
    next: u32,
}

impl std::fmt::Debug for Mt19937 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mt19937")
            .field("left", &self.left)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl Mt19937 {
    /// Seeds the engine from the low 32 bits of `seed`, as PyTorch does.
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; STATE_WORDS];
        state[0] = seed as u32;
        for i in 1..STATE_WORDS {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 {
            state,
            left: 1,
            next: 0,
        }
    }

    /// Rebuilds an engine from raw parts (the form found in PyTorch's
    /// serialized state). Returns `None` unless `1 <= left <= 624` and
    /// `next <= 624`, the same validity rule PyTorch applies.
    pub fn from_parts(state: [u32; STATE_WORDS], left: u32, next: u32) -> Option<Self> {
        if !(1..=STATE_WORDS as u32).contains(&left) || next > STATE_WORDS as u32 {
            return None;
        }
        Some(Mt19937 { state, left, next })
    }

    /// The 624 state words.
    pub fn state(&self) -> &[u32; STATE_WORDS] {
        &self.state
    }

    /// Countdown to the next twist (1..=624).
    pub fn left(&self) -> u32 {
        self.left
    }

    /// Index of the next state word to be tempered (0..=624).
    pub fn next_index(&self) -> u32 {
        self.next
    }

    fn twist(&mut self) {
        let s = &mut self.state;
        let mix = |u: u32, v: u32| -> u32 {
            let y = (u & UPPER_MASK) | (v & LOWER_MASK);
            (y >> 1) ^ if v & 1 != 0 { MATRIX_A } else { 0 }
        };
        for i in 0..STATE_WORDS - M {
            s[i] = s[i + M] ^ mix(s[i], s[i + 1]);
        }
        for i in STATE_WORDS - M..STATE_WORDS - 1 {
            s[i] = s[i + M - STATE_WORDS] ^ mix(s[i], s[i + 1]);
        }
        s[STATE_WORDS - 1] = s[M - 1] ^ mix(s[STATE_WORDS - 1], s[0]);
        self.left = STATE_WORDS as u32;
        self.next = 0;
    }

    /// Next tempered 32-bit output (PyTorch's `random()`).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        // The second condition only matters for inconsistent restored states
        // (`next == 624` with `left > 1`), where reading on would run past
        // the state; twisting keeps the engine well defined.
        if self.left == 0 || self.next as usize >= STATE_WORDS {
            self.twist();
        }
        let mut y = self.state[self.next as usize];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_outputs() {
        // First outputs of MT19937 seeded with init_genrand(5489), the
        // reference default seed of the algorithm.
        let mut mt = Mt19937::new(5489);
        let first: Vec<u32> = (0..3).map(|_| mt.next_u32()).collect();
        assert_eq!(first, [3_499_211_612, 581_869_302, 3_890_346_734]);
        let mut mt = Mt19937::new(5489);
        for _ in 0..9999 {
            mt.next_u32();
        }
        assert_eq!(mt.next_u32(), 4_123_659_995);
    }

    #[test]
    fn seed_uses_low_32_bits() {
        let mut a = Mt19937::new(5);
        let mut b = Mt19937::new((1u64 << 32) + 5);
        for _ in 0..1000 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }

    #[test]
    fn counters_follow_torch_convention() {
        let mut mt = Mt19937::new(7);
        assert_eq!((mt.left(), mt.next_index()), (1, 0));
        for _ in 0..3 {
            mt.next_u32();
        }
        assert_eq!((mt.left(), mt.next_index()), (622, 3));
        for _ in 3..624 {
            mt.next_u32();
        }
        assert_eq!((mt.left(), mt.next_index()), (1, 624));
        assert!(Mt19937::from_parts(*mt.state(), 0, 0).is_none());
        assert!(Mt19937::from_parts(*mt.state(), 1, 625).is_none());
    }
}
