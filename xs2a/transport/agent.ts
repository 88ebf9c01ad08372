import { Agent, buildConnector } from 'undici';
import type { TppCredentials } from '../profiles/types';

export interface BankAgentOptions {
  /** Sockets per origin (the bank's API host). Default 8. */
  connections?: number;
  /** How long an idle keep-alive socket is kept. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** TCP connect plus TLS handshake. Default 10 s. */
  connectTimeoutMs?: number;
}

export interface HandshakeStats {
  /** TLS sessions set up (full or resumed): one per new socket. */
  tlsHandshakes: number;
  /** Of those, how many resumed a cached session (abbreviated handshake). */
  resumedSessions: number;
}

const handshakeStatsByAgent = new WeakMap<Agent, HandshakeStats>();

/**
 * TLS alerts seen on an agent's sockets, by "localPort:remotePort". In TLS 1.3
 * the bank refuses our client certificate only after the handshake, with an
 * alert that undici overwrites by a generic "other side closed" SocketError;
 * this lets the transport still tell "our certificate was refused" apart.
 */
const tlsAlertsByAgent = new WeakMap<Agent, Map<string, string>>();
const MAX_REMEMBERED_ALERTS = 64;
const isTlsAlert = (code: unknown): code is string => typeof code === 'string' && code.includes('_ALERT_');
const socketKey = (localPort: unknown, remotePort: unknown) => `${String(localPort)}:${String(remotePort)}`;

/**
 * One pooled undici Agent per bank: our QWAC as TLS client certificate, the
 * bank's CA bundle as the only trust anchors, keep-alive so that a sync run
 * pays for a handshake once per socket and not once per request.
 */
export function createBankAgent(credentials: TppCredentials, opts: BankAgentOptions = {}): Agent {
  return createTlsAgent(
    { cert: credentials.qwac.certificatePem, key: credentials.qwac.privateKeyPem, ca: credentials.bankCaPem },
    opts,
  );
}

/** TLS material of an agent; `cert`/`key` may be left out only to test what a bank does without them. */
export interface AgentTlsOptions {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * The agent behind createBankAgent. Its connector is wrapped to count
 * handshakes (see handshakeStats), because keep-alive is exactly the thing that
 * silently breaks when a server or proxy misbehaves, and to remember TLS alerts
 * (see tlsAlertFor).
 */
export function createTlsAgent(tls: AgentTlsOptions, opts: BankAgentOptions = {}): Agent {
  const stats: HandshakeStats = { tlsHandshakes: 0, resumedSessions: 0 };
  const alerts = new Map<string, string>();
  const connectTls = buildConnector({
    ...tls,
    rejectUnauthorized: true,
    timeout: opts.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  });

  const countingConnector: buildConnector.connector = (options, callback) => {
    connectTls(options, (err, socket) => {
      if (!err && socket && 'encrypted' in socket) {
        stats.tlsHandshakes += 1;
        if (socket.isSessionReused()) stats.resumedSessions += 1;
        const key = socketKey(socket.localPort, socket.remotePort);
        socket.on('error', (socketError: { code?: unknown }) => {
          if (!isTlsAlert(socketError.code)) return;
          if (alerts.size >= MAX_REMEMBERED_ALERTS) alerts.delete(alerts.keys().next().value!);
          alerts.set(key, socketError.code);
        });
      }
      // The callback's tuple type does not narrow through a variable; the pair is passed on unchanged.
      (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
    });
  };

  const agent = new Agent({
    connect: countingConnector,
    connections: opts.connections ?? 8,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: Math.max(opts.keepAliveTimeoutMs ?? 30_000, 600_000),
    pipelining: 1,
  });
  handshakeStatsByAgent.set(agent, stats);
  tlsAlertsByAgent.set(agent, alerts);
  return agent;
}

/** Handshake counts of an agent made by createBankAgent or createTlsAgent; zeros for any other agent. */
export function handshakeStats(agent: Agent): HandshakeStats {
  const stats = handshakeStatsByAgent.get(agent);
  return stats ? { ...stats } : { tlsHandshakes: 0, resumedSessions: 0 };
}

/**
 * The TLS alert (e.g. "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED") received on
 * the socket an undici SocketError came from, if the agent saw one.
 */
export function tlsAlertFor(agent: Agent, err: unknown): string | undefined {
  const alerts = tlsAlertsByAgent.get(agent);
  if (!alerts) return undefined;
  for (
    let current: unknown = err;
    current && typeof current === 'object';
    current = (current as { cause?: unknown }).cause
  ) {
    const info = (current as { socket?: { localPort?: unknown; remotePort?: unknown } }).socket;
    if (info && typeof info === 'object' && 'localPort' in info) {
      const key = socketKey(info.localPort, info.remotePort);
      const alert = alerts.get(key);
      if (alert) alerts.delete(key);
      return alert;
    }
  }
  return undefined;
}
