package confdecode

// Nearest suggests the choice closest to a mistyped one, as the "did you
// mean" of an unknown key does: at most two edits away, ties to the first
// of choices; "" when none is close. For values that name one of a few
// choices, such as a provider.
func Nearest(s string, choices []string) string { return nearest(s, choices) }

// nearest suggests the known key closest to a mistyped one: at most two
// edits away, ties to the alphabetically first of keys (sorted).
func nearest(key string, keys []string) string {
	best, bestDist := "", 3
	for _, k := range keys {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with transpositions);
// keys longer than 64 bytes are never close.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
