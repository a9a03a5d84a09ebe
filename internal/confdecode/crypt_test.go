package confdecode

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Values written with Python's cryptography.fernet the way serieux does
// (key = base64 of SHA-256 of the password, message = JSON of the value).
func TestDecryptFromPython(t *testing.T) {
	t.Parallel()
	const pw = "change_me!!1"
	for _, tc := range []struct{ value, want string }{
		{"~CRYPT~gAAAAABrBUlpayFVkJdQW3M5m-ovgsaVz-YW2S3LHP_omY3OIWa0CUz4ycd5mnY6LC8k2LTOsgz5XrnjCg8eN9sppFRJWb6zHNK-7UUj-4ub-N_ejdptQSc=", "my-client-secret"},
		{"~CRYPT~gAAAAABrBUlp-d-KJrDmhTeWqY5P1nc9_AzqZDU4SvQ67gU81JFsaMwA5PDzk-DwxlAQDTVjVOuuTGOjvVb8VFf5ilC0IxiyLNvABz8zMwLOpdZzLMok3QAuAy12JlhkdTYnmHYUS748", "café \"quoted\" <&> \U0001F600"},
		{"~CRYPT~gAAAAABrBUlph-jm2pmoeHbhMsVDByKghE5eobzs_o0mRTmJY4JMPGR2G7jL2KoX1kifkmfwHzhS_FhQGQTNsQpzlUdmwDBgbQ==", "12345"},
	} {
		got, err := Decrypt(pw, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("Decrypt = %q, %v; want %q", got, err, tc.want)
		}
		if _, err := Decrypt(pw+"x", tc.value); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("wrong password: err = %v", err)
		}
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "s3cret", "with \"quotes\", <html> & \\ and \n", "ünïcødé \U0001F511"} {
		enc := Encrypt("pw", v)
		if !strings.HasPrefix(enc, CryptPrefix) {
			t.Fatalf("Encrypt = %q", enc)
		}
		got, err := Decrypt("pw", enc)
		if err != nil || got != v {
			t.Errorf("round trip of %q = %q, %v", v, got, err)
		}
		tampered := enc[:len(enc)-5] + "A" + enc[len(enc)-4:]
		if tampered != enc {
			if _, err := Decrypt("pw", tampered); err == nil {
				t.Errorf("tampered value decrypted")
			}
		}
	}
	if _, err := Decrypt("pw", "gAAAA"); err == nil {
		t.Error("value without prefix accepted")
	}
}

// TestEncryptReadByPython checks the other direction against the
// real implementation when the machine has it.
func TestEncryptReadByPython(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-c", "import cryptography.fernet").Run(); err != nil {
		t.Skip("python3 with the cryptography package is not available")
	}
	const pw, value = "pässword", "client \"secret\" é"
	enc := Encrypt(pw, value)
	script := `import sys, json, base64, hashlib
from cryptography.fernet import Fernet
f = Fernet(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()))
sys.stdout.write(json.loads(f.decrypt(sys.argv[2].removeprefix("~CRYPT~"))))`
	out, err := exec.Command("python3", "-c", script, pw, enc).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if string(out) != value {
		t.Errorf("python read %q; want %q", out, value)
	}
}

// The CLI's `oauthgate config encrypt` writes such values; the password
// comes from OAUTHGATE_PASSWORD ([PasswordEnv]) when a file is loaded.
func ExampleEncrypt() {
	enc := Encrypt("change_me!!1", "my-client-secret")
	fmt.Println(enc[:len(CryptPrefix)+2]) // the rest is random
	plain, err := Decrypt("change_me!!1", enc)
	fmt.Println(plain, err)
	_, err = Decrypt("wrong", enc)
	fmt.Println(err)
	// Output:
	// ~CRYPT~gA
	// my-client-secret <nil>
	// wrong password or corrupted value
}

// SERIEUX_PASSWORD opens ~CRYPT~ values when OAUTHGATE_PASSWORD is unset
// or empty; OAUTHGATE_PASSWORD wins when both are set.
func TestPasswordFromSerieux(t *testing.T) {
	t.Parallel()
	value := Encrypt("serieux pw", "sealed")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // the decoded value, or a part of the error
	}{
		{"serieux only", map[string]string{SerieuxPasswordEnv: "serieux pw"}, "sealed"},
		{"oauthgate empty", map[string]string{PasswordEnv: "", SerieuxPasswordEnv: "serieux pw"}, "sealed"},
		{"oauthgate only", map[string]string{PasswordEnv: "serieux pw"}, "sealed"},
		{"oauthgate wins", map[string]string{PasswordEnv: "other", SerieuxPasswordEnv: "serieux pw"}, "wrong password or corrupted value (OAUTHGATE_PASSWORD)"},
		{"serieux wrong", map[string]string{SerieuxPasswordEnv: "other"}, "wrong password or corrupted value (SERIEUX_PASSWORD)"},
		{"neither", map[string]string{SerieuxPasswordEnv: ""}, "OAUTHGATE_PASSWORD is not set (nor SERIEUX_PASSWORD)"},
	} {
		got, _, err := decodeString(t, "name: "+value, Options{LookupEnv: envMap(tc.env)})
		if tc.want == "sealed" {
			if err != nil || got.Name != "sealed" {
				t.Errorf("%s: %q %v", tc.name, got.Name, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
}
