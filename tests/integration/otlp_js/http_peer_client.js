#!/usr/bin/env node
// Usage: node http_peer_client.js <url> <correlation-id>
//
// The upstream JS service of tests/integration/http_js_interop_test.cc. It starts a client span
// with the OpenTelemetry JS SDK (a new random trace, sampled), puts baggage in its context, and
// lets the SDK's own propagators (W3CTraceContextPropagator, W3CBaggagePropagator, through
// propagation.inject) write traceparent, tracestate and baggage into a GET to <url>, with
// X-Correlation-ID: <correlation-id>.
//
// The tracestate comes from the sampler, as a vendor's sampler puts its state there: the root
// span of a trace has no parent to inherit one from.
//
// Prints one JSON line: the span's traceId, spanId and traceFlags, the headers sent, the baggage
// entries put in ({key: {value, metadata}}), and the response (status, headers, body). Exits 1
// with the reason on stderr when no response came (usage errors exit 2).
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
const { BasicTracerProvider, SamplingDecision } = require('@opentelemetry/sdk-trace-base');

const kTraceState = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
// Plain values, properties, and values the SDK must percent-encode (encodeURIComponent):
// non-ASCII, spaces, '"', '=' and '%' (promo.code is sent as %2541BC, so a receiver that
// decodes twice reads ABC). No ',' or ';' inside a value: cpp-httplib 0.11 decodes header
// values before the middleware sees them, and those two cannot be told from separators then
// (docs/http.md).
const kBaggage = {
  'user.tier': { value: 'gold' },
  'tenant': { value: 'acme', metadata: api.baggageEntryMetadataFromString('ttl=30;shared') },
  'cart.note': { value: 'Zoë 2 × "gift" = 50% off' },
  'promo.code': { value: '%41BC' },
};

// Samples everything and records its state in tracestate.
const vendorSampler = {
  shouldSample: () => ({
    decision: SamplingDecision.RECORD_AND_SAMPLED,
    traceState: api.createTraceState(kTraceState),
  }),
  toString: () => 'VendorSampler',
};

function fail(message) {
  process.stderr.write(`http_peer_client.js: ${message}\n`);
  process.exit(1);
}

function get(url, headers) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false, timeout: 20000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({
        status: response.statusCode,
        headers: response.headers,
        body,
      }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} in 20 s`)));
    request.on('error', reject);
  });
}

async function main() {
  const [url, correlationId] = process.argv.slice(2);
  if (!url || !correlationId || process.argv.length !== 4) {
    process.stderr.write('usage: node http_peer_client.js <url> <correlation-id>\n');
    process.exit(2);
  }
  api.propagation.setGlobalPropagator(new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }));
  const provider = new BasicTracerProvider({ sampler: vendorSampler });
  const tracer = provider.getTracer('mmf-http-peer-client');

  const span = tracer.startSpan('GET', { kind: api.SpanKind.CLIENT });
  let context = api.trace.setSpan(api.ROOT_CONTEXT, span);
  context = api.propagation.setBaggage(context, api.propagation.createBaggage(kBaggage));
  const headers = { 'X-Correlation-ID': correlationId };
  api.propagation.inject(context, headers);

  const response = await get(url, headers);
  span.end();
  const baggage = {};
  for (const [key, entry] of Object.entries(kBaggage)) {
    baggage[key] = {
      value: entry.value,
      metadata: entry.metadata === undefined ? null : entry.metadata.toString(),
    };
  }
  const spanContext = span.spanContext();
  process.stdout.write(`${JSON.stringify({
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    traceFlags: spanContext.traceFlags,
    sentHeaders: headers,
    sentBaggage: baggage,
    response,
  })}\n`);
  await provider.shutdown();
}

main().then(
  () => process.exit(0),
  (error) => fail(error && error.stack ? error.stack : String(error)),
);
