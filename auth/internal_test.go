package auth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestCookieValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header []string
		want   string
		ok     bool
	}{
		{[]string{"s=abc"}, "abc", true},
		{[]string{"a=1; s=abc; b=2"}, "abc", true},
		{[]string{"a=1", "s=abc"}, "abc", true},
		{[]string{`s="abc"`}, "abc", true},
		{[]string{"ss=abc; s_flow=x"}, "", false},
		{[]string{"s="}, "", false},
		{[]string{"  s=abc  ;"}, "abc", true},
		{nil, "", false},
	} {
		got, ok := cookieValue(http.Header{"Cookie": tc.header}, "s")
		if got != tc.want || ok != tc.ok {
			t.Errorf("cookieValue(%q) = %q %v", tc.header, got, ok)
		}
	}
}

func TestSessionSerializer(t *testing.T) {
	t.Parallel()
	d := sessionData{Email: "a@b.c", ID: "id", Issued: 17, AuthTime: 16}
	b, err := sessionSerializer{}.Serialize(&d)
	if err != nil {
		t.Fatal(err)
	}
	var back sessionData
	if err := (sessionSerializer{}).Deserialize(b, &back); err != nil || !reflect.DeepEqual(back, d) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	m := map[any]any{}
	if err := (sessionSerializer{}).Deserialize(b, &m); err != nil || m[sessEmail] != "a@b.c" || m[sessIssued] != int64(17) {
		t.Fatalf("into a map: %v %v", m, err)
	}
	b2, err := sessionSerializer{}.Serialize(m)
	if err != nil || string(b2) != string(b) {
		t.Fatalf("map serialized differently: %v", err)
	}
	if _, err := (sessionSerializer{}).Serialize(map[any]any{"email": "x"}); err == nil {
		t.Fatal("incomplete values serialized")
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if err := (sessionSerializer{}).Deserialize(bad, &back); err == nil {
			t.Errorf("Deserialize(%x) accepted", bad)
		}
	}
}

func FuzzSessionSerializer(f *testing.F) {
	good, _ := sessionSerializer{}.Serialize(&sessionData{Email: "a@b.c", ID: "x", Issued: 1, AuthTime: 2})
	f.Add(good)
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d sessionData
		if err := (sessionSerializer{}).Deserialize(data, &d); err != nil {
			return
		}
		again, err := sessionSerializer{}.Serialize(&d)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted %x but it serializes as %x (%v)", data, again, err)
		}
	})
}

func TestOutboundBodiesAreBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := maxIdPResponseBytes
		if r.URL.Path == "/big" {
			n++
		}
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	defer srv.Close()
	c := outboundClient(nil)
	if c.Timeout != DefaultHTTPTimeout {
		t.Fatalf("timeout %v", c.Timeout)
	}
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"/ok", true}, {"/ok?chunked=1", true}, {"/big", false}, {"/big?chunked=1", false}} {
		resp, err := c.Get(srv.URL + tc.path)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
}

func TestSessionSerializerClaims(t *testing.T) {
	t.Parallel()
	d := sessionData{Email: "a@b.c", ID: "id", Issued: 17, AuthTime: 16,
		Claims: claimValues{"username": {"xtof"}, "groups": {"admins", "ops"}, "empty": {}}}
	b, err := sessionSerializer{}.Serialize(&d)
	if err != nil {
		t.Fatal(err)
	}
	var back sessionData
	if err := (sessionSerializer{}).Deserialize(b, &back); err != nil || !reflect.DeepEqual(back, d) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	m := map[any]any{}
	if err := (sessionSerializer{}).Deserialize(b, &m); err != nil || !reflect.DeepEqual(m[sessClaims], d.Claims) {
		t.Fatalf("into a map: %v %v", m, err)
	}
	if b2, err := (sessionSerializer{}).Serialize(m); err != nil || string(b2) != string(b) {
		t.Fatalf("map serialized differently: %v", err)
	}
	m[sessClaims] = "xtof"
	if _, err := (sessionSerializer{}).Serialize(m); err == nil {
		t.Fatal("claims of another type serialized")
	}
	// A claim count larger than what follows, or none, is refused.
	for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if err := (sessionSerializer{}).Deserialize(bad, &back); err == nil {
			t.Errorf("Deserialize(%x) accepted", bad)
		}
	}
	noClaims, _ := sessionSerializer{}.Serialize(&sessionData{Email: "a@b.c", ID: "id"})
	forged := append([]byte{sessionFormatClaims}, noClaims[1:]...)
	if err := (sessionSerializer{}).Deserialize(append(forged, 0), &back); err == nil {
		t.Error("a format 2 session with zero claims accepted")
	}
	if err := (sessionSerializer{}).Deserialize(append(forged, 0xff, 0xff, 0xff, 0x7f), &back); err == nil {
		t.Error("a claim count beyond the input accepted")
	}
}
