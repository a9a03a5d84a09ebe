package confdecode

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode: any input decodes or gives problems, never a panic; every
// problem is an *Error with a reason, at most maxProblems of them plus a
// count of the rest; decoding the same input twice gives the same value.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"name: ${NAME}\nrequired: x\nfile: a.pem\nfiles: [b]\nttl: 30d\nscope: read write\ncount: 1\non: true\n",
		"when: 2026-01-02T03:04:05Z\nlabels: {a: b}\nextra: {x: [1, {y: z}]}\nitems: [{key: k, timeout: -1}]\nlevel: l\n",
		"nmae: x\nitems: [&i {key: a}, *i, {<<: *i}]\nscope: [a, [b]]\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nitems: *b\n",
		"name: ~CRYPT~gAAAAA\nrequired: ${EMPTY}\n? [k]\n: v\n",
		"- a\n- b\n",
		"",
	} {
		f.Add(seed)
	}
	env := envMap(map[string]string{"NAME": "n", "EMPTY": "", PasswordEnv: "pw"})
	f.Fuzz(func(t *testing.T, text string) {
		doc, err := Parse([]byte(text))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse: %v is not an *Error", err)
			}
			return
		}
		var first, second sample
		_, err1 := Decode(doc, &first, Options{LookupEnv: env, Dir: "/cfg"})
		_, err2 := Decode(doc, &second, Options{LookupEnv: env, Dir: "/cfg"})
		problems := Flatten(err1)
		if len(problems) > maxProblems+1 {
			t.Fatalf("%d problems", len(problems))
		}
		for _, p := range problems {
			var e *Error
			if !errors.As(p, &e) || e.Reason == "" {
				t.Fatalf("problem %v (%T) is not an *Error with a reason", p, p)
			}
		}
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() || !reflect.DeepEqual(first, second) {
			t.Fatalf("two decodes differ:\n%+v %v\n%+v %v", first, err1, second, err2)
		}
	})
}
