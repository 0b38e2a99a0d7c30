#!/usr/bin/env node
// Usage: node http_peer_server.js
//
// The downstream JS service of tests/integration/http_js_interop_test.cc. It listens on a free
// loopback port, prints {"port": N} as its first line on stdout, and answers every request with
// JSON saying what arrived:
//   - method, url, headers (Node's merged, lower-case view) and rawHeaders ([name, value] pairs
//     as sent, so that a header sent twice shows);
//   - extracted: what the OpenTelemetry JS SDK's own propagators (W3CTraceContextPropagator,
//     W3CBaggagePropagator, through propagation.extract) read from those headers: the remote
//     span context (traceId, spanId = the caller's span, traceFlags, isRemote, traceState) and
//     the baggage entries ({key: {value, metadata}});
//   - serverSpan: the span the SDK starts under that context (its trace ID, its parent's span ID
//     and whether the parent-based sampler sampled it), as a JS service would.
// It exits when its stdin closes (the test process ended, however it ended) or on SIGTERM.
'use strict';

// The SDK reads OTEL_* variables (propagators, sampler): drop them so that only this file counts.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('OTEL_')) delete process.env[name];
}

const http = require('http');
const api = require('@opentelemetry/api');
const {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} = require('@opentelemetry/core');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');

api.propagation.setGlobalPropagator(new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
}));
const tracer = new BasicTracerProvider().getTracer('mmf-http-peer-server');

function baggageEntries(baggage) {
  const entries = {};
  if (!baggage) return entries;
  for (const [key, entry] of baggage.getAllEntries()) {
    entries[key] = {
      value: entry.value,
      metadata: entry.metadata === undefined ? null : entry.metadata.toString(),
    };
  }
  return entries;
}

function describe(request) {
  const context = api.propagation.extract(api.ROOT_CONTEXT, request.headers);
  const remote = api.trace.getSpanContext(context);
  const span = tracer.startSpan('GET /inventory/{sku}', { kind: api.SpanKind.SERVER }, context);
  const record = {
    method: request.method,
    url: request.url,
    headers: request.headers,
    rawHeaders: [],
    extracted: {
      spanContext: remote === undefined ? null : {
        traceId: remote.traceId,
        spanId: remote.spanId,
        traceFlags: remote.traceFlags,
        isRemote: remote.isRemote === true,
        traceState: remote.traceState === undefined ? null : remote.traceState.serialize(),
      },
      baggage: baggageEntries(api.propagation.getBaggage(context)),
    },
    serverSpan: {
      traceId: span.spanContext().traceId,
      parentSpanId: span.parentSpanContext === undefined ? null : span.parentSpanContext.spanId,
      sampled: (span.spanContext().traceFlags & api.TraceFlags.SAMPLED) !== 0,
    },
  };
  span.end();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    record.rawHeaders.push([request.rawHeaders[i], request.rawHeaders[i + 1]]);
  }
  return record;
}

const server = http.createServer((request, response) => {
  request.resume();  // the body is not needed, but must be read for the request to end
  request.on('end', () => {
    let status = 200;
    let body;
    try {
      body = JSON.stringify(describe(request));
    } catch (error) {
      status = 500;
      body = JSON.stringify({ error: error && error.stack ? error.stack : String(error) });
    }
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(body);
  });
});

server.on('error', (error) => {
  process.stderr.write(`http_peer_server.js: ${error.stack}\n`);
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
