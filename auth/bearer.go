package auth

import "net/http"

// BearerToken returns the token of an `Authorization: Bearer <token>`
// header (RFC 6750 §2.1). The scheme is matched case-insensitively; one or
// more spaces may separate it from the token (RFC 7235's 1*SP), nothing
// else may (no tab, no comma, no second credential); the token must be a
// non-empty token68 (letters, digits, "-._~+/", then optional "="
// padding). Several Authorization headers are refused: a request must say
// one thing. net/http already trims spaces around a header value.
func BearerToken(h http.Header) (string, bool) {
	values := h["Authorization"]
	if len(values) != 1 {
		return "", false
	}
	v := values[0]
	const scheme = "bearer"
	if len(v) <= len(scheme) || v[len(scheme)] != ' ' {
		return "", false
	}
	for i := 0; i < len(scheme); i++ {
		if v[i]|0x20 != scheme[i] {
			return "", false
		}
	}
	i := len(scheme)
	for i < len(v) && v[i] == ' ' {
		i++
	}
	token := v[i:]
	if !isToken68(token) {
		return "", false
	}
	return token, true
}

// token68Char marks the token68 characters before the padding: ALPHA,
// DIGIT and "-._~+/". A table, because every new bearer token is
// scanned (hundreds of bytes).
var token68Char = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		t[c] = true
	}
	return t
}()

// isToken68 reports whether s matches 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) && token68Char[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
