package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/oauthgate/oauthgate/internal/respond"
)

// MaxBodyBytes is the largest request body the routes read (64 KiB). A
// larger body is refused with 413 Request Entity Too Large.
const MaxBodyBytes = 64 << 10

// DecodeJSON reads r's body into dst as the Manager's routes read theirs
// (see decodeJSON below): for the JSON routes of a [RouteProvider]. Its
// error is a *respond.Error (400, 413, 415) that [auth.ErrorOf] keeps.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeJSON(w, r, dst)
}

// decodeJSON reads r's body, a single JSON object, into dst. Unknown
// fields, wrong types, trailing data and bodies over [MaxBodyBytes] are
// refused with a *respond.Error naming the problem (400, 413, 415).
//
// Requiring Content-Type: application/json also keeps cross-site HTML forms
// (which cannot send it without a CORS preflight) away from the
// cookie-authenticated routes.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.ContentLength > MaxBodyBytes {
		return tooLarge(nil)
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(err)
		}
		return respond.NewError(http.StatusBadRequest, "could not read the request body", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("the request body is empty: send a JSON object", nil)
	}
	if !utf8.Valid(data) {
		// encoding/json would silently turn bad bytes into U+FFFD.
		return badRequest("the request body is not valid UTF-8", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, dst)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the request body must hold one JSON object and nothing after it", err)
	}
	return checkKeys(data, dst)
}

// checkKeys refuses what encoding/json lets through: a key repeated (the
// last one wins) or spelled in another case ("Capability" fills
// "capability"). Another parser in front of the app (a proxy, a log
// filter) could read such a body differently. data is one valid JSON
// object.
func checkKeys(data []byte, dst any) error {
	known := jsonNames(dst)
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return badRequest("the request body is not valid JSON", err)
	}
	seen := make(map[string]bool, len(known))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("the request body is not valid JSON", err)
		}
		key, _ := tok.(string)
		switch {
		case !known[key]:
			return badRequest(fmt.Sprintf("unknown field %q (field names are case-sensitive)", key), nil)
		case seen[key]:
			return badRequest(fmt.Sprintf("field %q appears more than once", key), nil)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest("the request body is not valid JSON", err)
		}
	}
	return nil
}

// jsonNames returns the JSON names of the fields of dst (a pointer to a
// struct).
func jsonNames(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	return names
}

func checkJSONContentType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return respond.NewError(http.StatusUnsupportedMediaType,
			"the request body must be JSON (Content-Type: application/json)", err)
	}
	return nil
}

func tooLarge(err error) error {
	return respond.NewError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the request body is larger than %d KiB", MaxBodyBytes>>10), err)
}

// jsonError turns an encoding/json error into a 400 that says what is wrong
// without echoing the body.
func jsonError(err error, dst any) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return badRequest("the request body must be a JSON object", err)
		}
		return badRequest(fmt.Sprintf("field %q must be %s", typeErr.Field, fieldKind(dst, typeErr.Field)), err)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the request body is not valid JSON", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for this error; its text is stable.
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return badRequest("unknown field "+field, err)
	default:
		return badRequest("the request body is not a valid JSON object", err)
	}
}

// fieldKind describes the JSON type expected for the field of dst (a
// pointer to a struct) whose JSON name is name. It looks at dst rather than
// at the error, which names the element type for a list.
func fieldKind(dst any, name string) string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
				return kindName(f.Type)
			}
		}
	}
	return "of another type"
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(kindName(t.Elem()), "a ") + "s"
	default:
		return "of type " + t.String()
	}
}

func badRequest(msg string, err error) error {
	return respond.NewError(http.StatusBadRequest, msg, err)
}
