package awsauthorizer

import "strings"

// Event is the input of an AWS API Gateway Lambda authorizer, with
// AWS's JSON field names: a REST TOKEN event (type, authorizationToken,
// methodArn), a REST REQUEST event (headers), or a WebSocket $connect
// REQUEST event (requestContext, and the token as the second value of the
// Sec-WebSocket-Protocol header). Fields the authorizer does not use are
// not listed; JSON decoding ignores them.
type Event struct {
	// Type is "TOKEN" or "REQUEST".
	Type string `json:"type"`
	// AuthorizationToken is the TOKEN event's token source, with or
	// without "Bearer ".
	AuthorizationToken string `json:"authorizationToken,omitempty"`
	// MethodArn is the ARN of the method (REST) or route (WebSocket)
	// called.
	MethodArn string `json:"methodArn"`
	// Headers are the REQUEST event's headers; names are matched without
	// regard to case.
	Headers map[string]string `json:"headers,omitempty"`
	// RequestContext describes the call; a WebSocket event has EventType
	// ("CONNECT") and RouteKey ("$connect").
	RequestContext RequestContext `json:"requestContext,omitzero"`
}

// RequestContext is the part of an event's requestContext the
// authorizer reads.
type RequestContext struct {
	Stage        string `json:"stage,omitempty"`
	APIID        string `json:"apiId,omitempty"`
	EventType    string `json:"eventType,omitempty"`
	RouteKey     string `json:"routeKey,omitempty"`
	ConnectionID string `json:"connectionId,omitempty"`
}

// IsWebSocket reports whether ev is a WebSocket connection's event: it has
// a requestContext.eventType or a Sec-WebSocket-Protocol header.
func (ev *Event) IsWebSocket() bool {
	_, ok := ev.header("Sec-WebSocket-Protocol")
	return ok || ev.RequestContext.EventType != ""
}

// Token returns the event's bearer token: the TOKEN event's
// authorizationToken, else the second value of Sec-WebSocket-Protocol,
// else the Authorization header; a "Bearer " scheme is removed. ok is
// false when there is none.
func (ev *Event) Token() (tok string, ok bool) {
	raw := ev.AuthorizationToken
	if !strings.EqualFold(ev.Type, "TOKEN") || raw == "" {
		raw = ""
		if proto, ok := ev.header("Sec-WebSocket-Protocol"); ok {
			values := strings.Split(proto, ",")
			if len(values) < 2 {
				return "", false
			}
			raw = values[1]
		} else if v, ok := ev.header("Authorization"); ok {
			raw = v
		}
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" || len(raw) > maxToken || strings.ContainsAny(raw, " \t\r\n") {
		return "", false
	}
	return raw, true
}

// maxToken bounds a token (API Gateway itself caps headers at 10 KiB).
const maxToken = 16 << 10

// header returns the value of header name, whatever the case of its key.
func (ev *Event) header(name string) (string, bool) {
	if v, ok := ev.Headers[name]; ok {
		return v, true
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
