package authtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds the response bodies read (16 MiB): a runaway handler
// fails the test instead of eating the memory.
const maxBody = 16 << 20

// Get sends GET path. A path starting with "/" is relative to the app's
// URL; a full URL is used as it is.
func (c *Client) Get(path string) *Response {
	return c.request(http.MethodGet, path, nil)
}

// Post sends POST path with body:
//   - nil: no body;
//   - url.Values: a form (application/x-www-form-urlencoded);
//   - []byte, string or io.Reader: sent as they are, as application/json
//     when the bytes are valid JSON, else text/plain;
//   - anything else: encoded as JSON.
func (c *Client) Post(path string, body any) *Response {
	return c.request(http.MethodPost, path, body)
}

// Put is Post with PUT.
func (c *Client) Put(path string, body any) *Response {
	return c.request(http.MethodPut, path, body)
}

// Delete sends DELETE path.
func (c *Client) Delete(path string) *Response {
	return c.request(http.MethodDelete, path, nil)
}

// Do sends req as the client: with its bearer token (unless req has an
// Authorization header) and its cookies. A req whose URL has no host is
// sent to the app.
func (c *Client) Do(req *http.Request) *Response {
	if req.URL.Host == "" {
		base, _ := url.Parse(c.at.URL)
		req.URL = base.ResolveReference(req.URL)
		req.Host = ""
	}
	r := &Response{Method: req.Method, Path: req.URL.RequestURI()}
	if c.err != nil {
		r.Err = c.err
		return r
	}
	if c.bearer != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		r.Err = err
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	r.Header = resp.Header
	if resp.Request != nil && resp.Request.URL.String() != req.URL.String() {
		r.FinalURL = resp.Request.URL.String()
	}
	r.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		r.Err = fmt.Errorf("reading the body: %w", err)
	} else if len(r.Body) > maxBody {
		r.Err = fmt.Errorf("body over %d bytes", maxBody)
	}
	return r
}

func (c *Client) request(method, path string, body any) *Response {
	rd, contentType, err := encodeBody(body)
	if err != nil {
		return &Response{Method: method, Path: path, Err: err}
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = c.at.URL + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return &Response{Method: method, Path: path, Err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.Do(req)
}

// encodeBody turns Post's body into a reader and its content type.
func encodeBody(body any) (io.Reader, string, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
		return nil, "", nil
	case url.Values:
		return strings.NewReader(b.Encode()), "application/x-www-form-urlencoded", nil
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	case io.Reader:
		var err error
		if raw, err = io.ReadAll(b); err != nil {
			return nil, "", fmt.Errorf("reading the request body: %w", err)
		}
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, "", fmt.Errorf("encoding the request body as JSON: %w", err)
		}
		return bytes.NewReader(data), "application/json", nil
	}
	if json.Valid(raw) {
		return bytes.NewReader(raw), "application/json", nil
	}
	return bytes.NewReader(raw), "text/plain; charset=utf-8", nil
}
