import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Env } from '../config/env';

type TemporalEnv = Pick<
  Env,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
>;

/** Connection options for the local dev server, a self-hosted cluster with mTLS, or Temporal Cloud with an API key. */
export function temporalConnectionOptions(env: TemporalEnv): ConnectionOptions {
  const options: ConnectionOptions = {
    address: env.TEMPORAL_ADDRESS,
    // After an outage the channel reconnects within about 2 s (grpc's default backoff grows to
    // 120 s, which kept /readyz and every API call failing long after the server was back).
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2_000 },
  };
  if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
    options.tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH), key: readFileSync(env.TEMPORAL_TLS_KEY_PATH) },
    };
  } else if (env.TEMPORAL_TLS || env.TEMPORAL_API_KEY) {
    options.tls = true;
  }
  if (env.TEMPORAL_API_KEY) {
    options.apiKey = env.TEMPORAL_API_KEY;
    options.metadata = { 'temporal-namespace': env.TEMPORAL_NAMESPACE };
  }
  return options;
}

/** The same settings for the worker's native connection. */
export function nativeConnectionOptions(env: TemporalEnv): NativeConnectionOptions {
  const { address, tls, metadata } = temporalConnectionOptions(env);
  return { address, tls, apiKey: env.TEMPORAL_API_KEY, metadata: metadata };
}

export async function connectClient(env: TemporalEnv): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}
