#!/usr/bin/env node
// Usage: node export_span.js <protobuf|json|grpc> <url>
//
// Exports ONE known span through the official OpenTelemetry JS SDK (versions pinned in
// package-lock.json) to <url>, so that tests/integration/otlp_js_peer_test.cc (OTLP/HTTP) and
// otlp_js_grpc_peer_test.cc (OTLP/gRPC; <url> is then http://host:port, plaintext) can decode
// what the reference implementation sends with the project's own .proto files. Every value below
// is fixed; the C++ tests hold the same values (known_span.h), so change both together.
//
// Prints nothing and exits 0 when the receiver accepted the export; otherwise prints why on stderr
// and exits 1 (usage errors exit 2).
'use strict';

// The SDK and the exporters read OTEL_* variables (sampler, limits, headers, compression,
// resource attributes). Drop them first so the bytes on the wire depend only on this file.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('OTEL_')) delete process.env[name];
}

const api = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: GrpcExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');

const kTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const kSpanId = '00f067aa0ba902b7';
const kParentSpanId = 'b7ad6b7169203331';
const kParentTraceState = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
const kLinkTraceId = '0af7651916cd43dd8448eb211c80319c';
const kLinkSpanId = 'b9c7c989f97918e1';
const kLinkTraceState = 'vendor=linked';
// hrtime tuples [seconds, nanoseconds] keep full nanosecond precision, which milliseconds lose.
const kStartTime = [1700000000, 123456];         // 1700000000000123456 ns
const kEventTime = [1700000000, 500000789];      // 1700000000500000789 ns
const kEndTime = [1700000001, 250000001];        // 1700000001250000001 ns

// Fixed IDs: the span id comes from here; the trace id comes from the parent, but a root span
// would take it from here, so both are fixed.
const fixedIdGenerator = {
  generateTraceId: () => kTraceId,
  generateSpanId: () => kSpanId,
};

// The processors swallow export failures; this wrapper keeps the result so the exit code tells.
class ResultRecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.results = [];
  }
  export(spans, resultCallback) {
    this.inner.export(spans, (result) => {
      this.results.push(result);
      resultCallback(result);
    });
  }
  forceFlush() {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
  shutdown() {
    return this.inner.shutdown();
  }
}

function fail(message) {
  process.stderr.write(`export_span.js: ${message}\n`);
  process.exit(1);
}

async function main() {
  const [encoding, url] = process.argv.slice(2);
  const exporters = { protobuf: ProtoExporter, json: JsonExporter, grpc: GrpcExporter };
  if (!Object.hasOwn(exporters, encoding) || !url || process.argv.length !== 4) {
    process.stderr.write('usage: node export_span.js <protobuf|json|grpc> <url>\n');
    process.exit(2);
  }
  const Exporter = exporters[encoding];
  const exporter = new ResultRecordingExporter(new Exporter({ url, timeoutMillis: 10000 }));

  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'js-peer',
      'peer.bool': true,
      'peer.int': 42,
      'peer.double': 0.5,
      'peer.strings': ['a', 'b'],
    }),
    idGenerator: fixedIdGenerator,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('mmf-js-peer', '1.2.3');

  const parent = {
    traceId: kTraceId,
    spanId: kParentSpanId,
    traceFlags: api.TraceFlags.SAMPLED,
    isRemote: true,
    traceState: api.createTraceState(kParentTraceState),
  };
  const parentContext = api.trace.setSpanContext(api.ROOT_CONTEXT, parent);
  const span = tracer.startSpan(
    'GET /users/{id}',
    {
      kind: api.SpanKind.SERVER,
      startTime: kStartTime,
      // Integers must stay integers and doubles must have a fraction: JS has one number type,
      // and the exporter picks int_value or double_value by Number.isInteger().
      attributes: {
        'http.request.method': 'GET',
        'user.authenticated': true,
        'http.response.status_code': 503,
        'big.negative': -9007199254740991,
        'server.load': 0.75,
        'tags': ['x', 'y', 'z'],
        'flags': [true, false],
        'ports': [80, -443, 8080],
        'ratios': [1.5, -0.25],
      },
      links: [
        {
          context: {
            traceId: kLinkTraceId,
            spanId: kLinkSpanId,
            traceFlags: api.TraceFlags.NONE,
            isRemote: true,
            traceState: api.createTraceState(kLinkTraceState),
          },
          attributes: { 'link.kind': 'follows', 'link.index': 7 },
        },
      ],
    },
    parentContext,
  );
  span.addEvent('cache.miss', { 'cache.key': 'user:42', 'cache.hit': false, 'retry': 2 },
      kEventTime);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream unavailable' });
  span.end(kEndTime);

  await provider.forceFlush();
  if (exporter.results.length !== 1) {
    fail(`expected 1 export, saw ${exporter.results.length}`);
  }
  const result = exporter.results[0];
  if (result.code !== ExportResultCode.SUCCESS) {
    fail(`export to ${url} failed: ${result.error ? result.error.message : 'no error given'}`);
  }
  await provider.shutdown();
}

main().then(
  // Exit at once: a kept-alive HTTP connection or gRPC channel must not hold the process open.
  () => process.exit(0),
  (error) => fail(error && error.stack ? error.stack : String(error)),
);
