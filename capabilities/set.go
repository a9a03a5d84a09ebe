package capabilities

import (
	"iter"
	"math/bits"
)

// Cap is an interned capability: an index into its [Graph]. Caps of one
// graph are numbered in the sorted order of their names.
type Cap uint32

// Set is an immutable set of capabilities of one [Graph], kept as a bitset so
// that [Set.Has] is a single bit test. The zero value is the empty set. Sets
// are values: copying one is cheap and never aliases a mutable buffer.
type Set struct {
	words []uint64 // never written after the Set is built
}

// Has reports whether c is in s.
func (s Set) Has(c Cap) bool {
	w := int(c >> 6)
	return w < len(s.words) && s.words[w]&(1<<(c&63)) != 0
}

// Union returns the capabilities in s or o.
func (s Set) Union(o Set) Set {
	if len(o.words) == 0 {
		return s
	}
	if len(s.words) == 0 {
		return o
	}
	a, b := s.words, o.words
	if len(a) < len(b) {
		a, b = b, a
	}
	out := make([]uint64, len(a))
	copy(out, a)
	for i, w := range b {
		out[i] |= w
	}
	return Set{words: out}
}

// Intersect returns the capabilities in both s and o.
func (s Set) Intersect(o Set) Set {
	n := min(len(s.words), len(o.words))
	out := make([]uint64, n)
	for i := range out {
		out[i] = s.words[i] & o.words[i]
	}
	return Set{words: trim(out)}
}

// Without returns the capabilities in s that are not in o.
func (s Set) Without(o Set) Set {
	out := make([]uint64, len(s.words))
	copy(out, s.words)
	for i := range min(len(out), len(o.words)) {
		out[i] &^= o.words[i]
	}
	return Set{words: trim(out)}
}

// ContainsAll reports whether every capability of o is in s.
func (s Set) ContainsAll(o Set) bool {
	for i, w := range o.words {
		var have uint64
		if i < len(s.words) {
			have = s.words[i]
		}
		if w&^have != 0 {
			return false
		}
	}
	return true
}

// Equal reports whether s and o hold the same capabilities.
func (s Set) Equal(o Set) bool {
	return s.ContainsAll(o) && o.ContainsAll(s)
}

// Len returns the number of capabilities in s.
func (s Set) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports whether s holds no capability.
func (s Set) Empty() bool {
	for _, w := range s.words {
		if w != 0 {
			return false
		}
	}
	return true
}

// Each calls fn for every capability in s, in increasing order (which is the
// sorted order of their names).
func (s Set) Each(fn func(Cap)) {
	for i, w := range s.words {
		for w != 0 {
			fn(Cap(i<<6 + bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
}

// All returns an iterator over the capabilities in s, in increasing order.
func (s Set) All() iter.Seq[Cap] {
	return func(yield func(Cap) bool) {
		for i, w := range s.words {
			for w != 0 {
				if !yield(Cap(i<<6 + bits.TrailingZeros64(w))) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// setOf builds a Set from caps (any order, duplicates allowed).
func setOf(caps ...Cap) Set {
	if len(caps) == 0 {
		return Set{}
	}
	var hi Cap
	for _, c := range caps {
		hi = max(hi, c)
	}
	words := make([]uint64, hi>>6+1)
	for _, c := range caps {
		words[c>>6] |= 1 << (c & 63)
	}
	return Set{words: words}
}

// trim drops trailing zero words so that empty results hold no memory.
func trim(words []uint64) []uint64 {
	for len(words) > 0 && words[len(words)-1] == 0 {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return nil
	}
	return words
}
