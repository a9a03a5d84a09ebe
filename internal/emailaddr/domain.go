package emailaddr

import "strings"

// NormalizeDomain returns an allowed_email_domains entry in the form
// addresses are matched against: folded as [Normalize] folds addresses,
// without a leading "@" or ".".
func NormalizeDomain(entry string) string {
	return strings.TrimPrefix(strings.TrimPrefix(Normalize(entry), "@"), ".")
}

// DomainAllowed applies the allowed_email_domains rule to an address
// [Parse] returned: with no domains any address passes; else its domain
// must equal one of them or be a subdomain of one on a dot boundary
// (x.company.com matches company.com; evilcompany.com does not). The
// entries are normalized with [NormalizeDomain] first.
func DomainAllowed(addr string, domains []string) bool {
	if len(domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := addr[at+1:]
	for _, d := range domains {
		d = NormalizeDomain(d)
		if d == "" {
			continue
		}
		if domain == d || strings.HasSuffix(domain, d) && domain[len(domain)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}
