import forge from 'node-forge';
import { PSD2_ROLES, type Psd2QcStatement, type Psd2Role } from './types';

/** id-pe-qcStatements (RFC 3739). */
export const QC_STATEMENTS_OID = '1.3.6.1.5.5.7.1.3';
/** ETSI TS 119 495 PSD2 QCStatement. */
export const PSD2_QC_STATEMENT_OID = '0.4.0.19495.2';
/** ETSI EN 319 412-5 QcCompliance and QcType, added to generated certificates so parsers meet more than one statement. */
export const QC_COMPLIANCE_OID = '0.4.0.1862.1.1';
export const QC_TYPE_OID = '0.4.0.1862.1.6';
export const QC_TYPE_ESEAL_OID = '0.4.0.1862.1.6.2';
export const QC_TYPE_WEB_OID = '0.4.0.1862.1.6.3';

export const PSD2_ROLE_OIDS: Record<Psd2Role, string> = {
  PSP_AS: '0.4.0.19495.1.1',
  PSP_PI: '0.4.0.19495.1.2',
  PSP_AI: '0.4.0.19495.1.3',
  PSP_IC: '0.4.0.19495.1.4',
};
const ROLE_BY_OID = new Map(Object.entries(PSD2_ROLE_OIDS).map(([role, oid]) => [oid, role as Psd2Role]));

/**
 * RFC 3739 says the extension value is a SEQUENCE OF QCStatement; some sandboxes put a single
 * QCStatement there instead. Both are produced (for tests) and both are read.
 */
export type QcStatementsForm = 'sequence-of' | 'single';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

function seq(items: Asn1[]): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}
function oid(dotted: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
}
function utf8(text: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(text));
}

/** QCStatement { statementId, statementInfo } for PSD2. */
export function psd2QcStatementAsn1(psd2: Psd2QcStatement): Asn1 {
  const roles = seq(psd2.roles.map((role) => seq([oid(PSD2_ROLE_OIDS[role]), utf8(role)])));
  return seq([oid(PSD2_QC_STATEMENT_OID), seq([roles, utf8(psd2.ncaName), utf8(psd2.ncaId)])]);
}

/**
 * DER of the qcStatements extension value. 'sequence-of' (RFC 3739) also carries QcCompliance
 * and, when qcType is given, QcType; 'single' is the bare PSD2 QCStatement some sandboxes emit.
 */
export function encodeQcStatements(
  psd2: Psd2QcStatement,
  form: QcStatementsForm = 'sequence-of',
  qcType?: string,
): string {
  if (form === 'single') return asn1.toDer(psd2QcStatementAsn1(psd2)).getBytes();
  const statements: Asn1[] = [seq([oid(QC_COMPLIANCE_OID)])];
  if (qcType) statements.push(seq([oid(QC_TYPE_OID), seq([oid(qcType)])]));
  statements.push(psd2QcStatementAsn1(psd2));
  return asn1.toDer(seq(statements)).getBytes();
}

/** A forge extension object carrying the PSD2 QC statement, ready for cert.setExtensions. */
export function psd2QcStatementsExtension(
  psd2: Psd2QcStatement,
  form: QcStatementsForm = 'sequence-of',
  qcType?: string,
): { id: string; critical: boolean; value: string } {
  return { id: QC_STATEMENTS_OID, critical: false, value: encodeQcStatements(psd2, form, qcType) };
}

/** The single-statement (non-RFC 3739) variant, for proving the parser is lenient. */
export function singlePsd2QcStatementExtension(psd2: Psd2QcStatement): {
  id: string;
  critical: boolean;
  value: string;
} {
  return psd2QcStatementsExtension(psd2, 'single');
}

function isOid(node: Asn1 | undefined): boolean {
  return (
    !!node && node.tagClass === asn1.Class.UNIVERSAL && node.type === asn1.Type.OID && typeof node.value === 'string'
  );
}
function children(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

const STRING_TYPES = new Set<number>([
  asn1.Type.UTF8,
  asn1.Type.PRINTABLESTRING,
  asn1.Type.IA5STRING,
  20, // TeletexString
  asn1.Type.BMPSTRING,
  26, // VisibleString
]);

function readString(node: Asn1 | undefined): string | undefined {
  if (!node || node.tagClass !== asn1.Class.UNIVERSAL || typeof node.value !== 'string' || !STRING_TYPES.has(node.type))
    return undefined;
  if (node.type === asn1.Type.UTF8) {
    try {
      return forge.util.decodeUtf8(node.value);
    } catch {
      return undefined;
    }
  }
  return node.value;
}

function parsePsd2Info(info: Asn1 | undefined): Psd2QcStatement | undefined {
  const [rolesNode, nameNode, idNode] = children(info);
  if (!rolesNode || !Array.isArray(rolesNode.value)) return undefined;
  const roles: Psd2Role[] = [];
  for (const roleNode of children(rolesNode)) {
    const [roleOid, roleName] = children(roleNode);
    const byOid = isOid(roleOid) ? ROLE_BY_OID.get(asn1.derToOid(roleOid.value as string)) : undefined;
    const name = readString(roleName);
    // The OID is authoritative; the name is a fallback for issuers that get OIDs wrong.
    const role = byOid ?? ((PSD2_ROLES as readonly string[]).find((r) => r === name) as Psd2Role | undefined);
    if (role && !roles.includes(role)) roles.push(role);
  }
  return { roles, ncaName: readString(nameNode) ?? '', ncaId: readString(idNode) ?? '' };
}

/**
 * Reads the PSD2 statement from a qcStatements extension value (DER bytes), accepting
 * SEQUENCE OF QCStatement or a bare QCStatement. Unknown statements are skipped; returns
 * undefined when no PSD2 statement is there. Throws only on bytes that are not DER at all.
 */
export function decodePsd2QcStatement(der: string): Psd2QcStatement | undefined {
  const root = asn1.fromDer(der);
  const top = children(root);
  const statements = isOid(top[0]) ? [root] : top;
  for (const statement of statements) {
    const [id, info] = children(statement);
    if (!isOid(id)) continue;
    if (asn1.derToOid(id.value as string) !== PSD2_QC_STATEMENT_OID) continue;
    const parsed = parsePsd2Info(info);
    if (parsed) return parsed;
  }
  return undefined;
}
