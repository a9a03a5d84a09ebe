package emailaddr

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want: the address, or "!" and a part of the error
	}{
		{"a@b.c", "a@b.c"},
		{" Alice@Example.COM\n", "alice@example.com"},
		{"bot@service", "bot@service"},
		{"root@localhost", "root@localhost"},
		{"o'neil+tag@x.example", "o'neil+tag@x.example"},
		{"\u212Aate@corp.example", "\u212Aate@corp.example"}, // a lookalike is another address
		{"b\u00fccher@b\u00fccher.example", "b\u00fccher@b\u00fccher.example"},
		{strings.Repeat("a", 244) + "@b.example", strings.Repeat("a", 244) + "@b.example"},
		{"", "!empty"},
		{" \t", "!empty"},
		{"nobody", "!no @"},
		{"a@b@c.example", "!more than one @"},
		{"a@@c.example", "!more than one @"},
		{`"a@b"@c.example`, `!contains '"'`},
		{"@c.example", "!nothing before the @"},
		{"a@", "!nothing after the @"},
		{"a@.c.example", "!an empty domain label"},
		{"a@c.example.", "!an empty domain label"},
		{"a@c..example", "!an empty domain label"},
		{strings.Repeat("a", 245) + "@b.example", "!longer than 254 bytes"},
		{"a b@c.example", "!contains white space"},
		{"a\u00a0b@c.example", "!contains white space"}, // NO-BREAK SPACE
		{"a\u2028@c.example", "!contains white space"},  // LINE SEPARATOR
		{"a\x00@c.example", "!contains a control character"},
		{"a\x1b[31m@c.example", "!contains a control character"},
		{"a\x7f@c.example", "!contains a control character"},
		{"a\u0085@c.example", "!contains white space"}, // NEL is both; space is named first
		{"a\u009b@c.example", "!contains a control character"},
		{"a\u200b@c.example", "!contains an invisible formatting character (U+200B)"},
		{"moc.live\u202e@c.example", "!contains an invisible formatting character (U+202E)"},
		{"a<b@c.example", "!contains '<'"},
		{"a>@c.example", "!contains '>'"},
		{"a,b@c.example", "!contains ','"},
		{"a;b@c.example", "!contains ';'"},
		{"a\xff@c.example", "!not valid UTF-8"},
	} {
		got, err := Parse(tc.in)
		if want, bad := strings.CutPrefix(tc.want, "!"); bad {
			var se *SyntaxError
			if err == nil || !errors.As(err, &se) || se.Input != tc.in || !strings.Contains(err.Error(), want) {
				t.Errorf("Parse(%q) = %q, %v; want an error saying %q", tc.in, got, err, want)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseUserAndService(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in            string
		user, service bool
	}{
		{"alice@corp.example", true, false},
		{"Bot@Service", false, true},
		{"report-bot@service", false, true},
		{"bot@service.example", true, false},
		{"bot@eu.service", true, false},
		{"@service", false, false},
		{"bot", false, false},
		{"a b@service", false, false},
		{"bot@x@service", false, false},
	} {
		_, uerr := ParseUser(tc.in)
		_, serr := ParseService(tc.in)
		if (uerr == nil) != tc.user || (serr == nil) != tc.service {
			t.Errorf("%q: ParseUser %v, ParseService %v; want user %v, service %v", tc.in, uerr, serr, tc.user, tc.service)
		}
	}
	if _, err := ParseUser("bot@service"); !errors.Is(err, ErrServiceAccount) {
		t.Errorf("ParseUser(bot@service) = %v; want ErrServiceAccount", err)
	}
	if _, err := ParseService("bot"); err == nil || err.Error() != `"bot" is not a service account name (name@service): no @` {
		t.Errorf("ParseService(bot) = %v", err)
	}
	if _, err := ParseService("alice@corp.example"); err == nil || err.Error() != `"alice@corp.example" is not a service account name (name@service)` {
		t.Errorf("ParseService(alice@corp.example) = %v", err)
	}
}

func TestDomainAllowed(t *testing.T) {
	t.Parallel()
	domains := []string{"company.com", "@other.org", ".third.net", "Kiosk.example"}
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"a@company.com", true},
		{"a@dept.company.com", true},
		{"a@other.org", true},
		{"a@x.third.net", true},
		{"a@third.net", true},
		{"a@evilcompany.com", false},
		{"a@company.com.evil", false},
		{"a@xcompany.com", false},
		{"a@company-com.example", false},
		{"a@kiosk.example", true},
		{"a@\u212Aiosk.example", false}, // KELVIN SIGN
		{"a@k\u0130osk.example", false}, // I WITH DOT ABOVE
		{"company.com", false},
	} {
		if got := DomainAllowed(tc.email, domains); got != tc.ok {
			t.Errorf("DomainAllowed(%q) = %v; want %v", tc.email, got, tc.ok)
		}
	}
	if !DomainAllowed("a@anything.net", nil) {
		t.Error("no domain rule: refused")
	}
	if DomainAllowed("a@anything.net", []string{""}) {
		t.Error("an empty entry matched")
	}
}

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Company.COM": "company.com", "@corp.example": "corp.example", " .eu.corp.example ": "eu.corp.example", "\u212A.example": "\u212A.example"} {
		if got := NormalizeDomain(in); got != want {
			t.Errorf("NormalizeDomain(%q) = %q; want %q", in, got, want)
		}
	}
}

// FuzzParse checks what the callers rely on: an accepted address is
// normal and accepted again unchanged, holds exactly one "@" with
// something on both sides, and no white space or control character; a
// user and a service account are told apart the same way by every
// function.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"a@b.c", " Bot@Service ", "a@b@c", "a\u00a0@b", "a@.b", "\xff@b", "", "\u212Aate@x.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		u, uerr := ParseUser(s)
		sv, serr := ParseService(s)
		if err != nil {
			if uerr == nil || serr == nil {
				t.Fatalf("Parse refused %q (%v) but ParseUser %v, ParseService %v", s, err, uerr, serr)
			}
			return
		}
		if again, err := Parse(a); err != nil || again != a || a != Normalize(s) {
			t.Fatalf("Parse(%q) = %q; again %q, %v", s, a, again, err)
		}
		if strings.Count(a, "@") != 1 || a[0] == '@' || a[len(a)-1] == '@' || len(a) > MaxLength {
			t.Fatalf("Parse(%q) = %q", s, a)
		}
		if strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Fatalf("Parse(%q) = %q: space or control character", s, a)
		}
		if IsService(a) != (serr == nil) || IsService(a) == (uerr == nil) {
			t.Fatalf("%q: IsService %v, ParseUser %v, ParseService %v", s, IsService(a), uerr, serr)
		}
		if uerr == nil && u != a || serr == nil && sv != a {
			t.Fatalf("%q: Parse %q, ParseUser %q, ParseService %q", s, a, u, sv)
		}
	})
}
