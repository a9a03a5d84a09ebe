package confdecode

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxDuration bounds every duration, far from overflow when added to a
// time.
const MaxDuration = 100 * 365 * 24 * time.Hour

// ParseDuration reads a duration as configuration files write it: a Go
// duration ("90m", "1h30m"), days first ("30d", "1d12h"), or a whole
// number of seconds ("3600"); a leading "-" makes it negative (where a
// key gives that a meaning, such as "none"). Its size is at most
// [MaxDuration].
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	abs, neg := strings.CutPrefix(s, "-")
	d, ok := parseUnsigned(abs)
	if !ok {
		return 0, fmt.Errorf("bad duration %q: write e.g. 90m, 24h, 30d or a number of seconds", s)
	}
	if neg {
		d = -d
	}
	return d, nil
}

func parseUnsigned(s string) (time.Duration, bool) {
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs > int64(MaxDuration/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || days < 0 || days > int64(MaxDuration/(24*time.Hour)) {
			return 0, false
		}
		total = time.Duration(days) * 24 * time.Hour
		if s = s[i+1:]; s == "" {
			return total, true
		}
		if s[0] == '-' || s[0] == '+' {
			return 0, false
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest < 0 || rest > MaxDuration-total {
		return 0, false
	}
	return total + rest, true
}
