import forge from 'node-forge';

/**
 * Distinguished names, as text and as attribute lists.
 *
 * Text form: attribute types use the usual short names (CN, O, OU, C, L, ST, E, ...), and
 * 2.5.4.97 is written as "organizationIdentifier" (the X.520 name, which OpenSSL also prints)
 * rather than as a dotted OID: it is what people grep for in bank portals. The parser accepts
 * the name, "OID.2.5.4.97" and "2.5.4.97" alike. Unknown types are written as dotted OIDs with
 * the string value (not "#hex" BER), which is enough for comparison.
 */
export interface DnAttribute {
  /** Dotted OID of the attribute type. */
  oid: string;
  value: string;
}

const ORGANIZATION_IDENTIFIER_OID = '2.5.4.97';

const NAME_TO_OID: Record<string, string> = {
  cn: '2.5.4.3',
  commonname: '2.5.4.3',
  sn: '2.5.4.4',
  surname: '2.5.4.4',
  serialnumber: '2.5.4.5',
  c: '2.5.4.6',
  countryname: '2.5.4.6',
  l: '2.5.4.7',
  localityname: '2.5.4.7',
  st: '2.5.4.8',
  s: '2.5.4.8',
  stateorprovincename: '2.5.4.8',
  street: '2.5.4.9',
  streetaddress: '2.5.4.9',
  o: '2.5.4.10',
  organizationname: '2.5.4.10',
  ou: '2.5.4.11',
  organizationalunitname: '2.5.4.11',
  title: '2.5.4.12',
  givenname: '2.5.4.42',
  organizationidentifier: ORGANIZATION_IDENTIFIER_OID,
  e: '1.2.840.113549.1.9.1',
  emailaddress: '1.2.840.113549.1.9.1',
  dc: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
};

const OID_TO_NAME: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'givenName',
  [ORGANIZATION_IDENTIFIER_OID]: 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

export { ORGANIZATION_IDENTIFIER_OID };

/** Attribute type name for text output (short name or dotted OID). */
export function attributeTypeName(oid: string): string {
  return OID_TO_NAME[oid] ?? oid;
}

/** Decodes a forge attribute value, whose bytes are raw for UTF8String and BMPString. */
function decodeAttributeValue(attr: { value?: unknown; valueTagClass?: number }): string {
  const raw = typeof attr.value === 'string' ? attr.value : String(attr.value ?? '');
  if (attr.valueTagClass === forge.asn1.Type.UTF8) {
    try {
      return forge.util.decodeUtf8(raw);
    } catch {
      return raw;
    }
  }
  if (attr.valueTagClass === forge.asn1.Type.BMPSTRING) {
    let out = '';
    for (let i = 0; i + 1 < raw.length; i += 2)
      out += String.fromCharCode((raw.charCodeAt(i) << 8) | raw.charCodeAt(i + 1));
    return out;
  }
  return raw;
}

/** Attributes of a forge name in certificate (encoding) order: least specific first. */
export function forgeNameAttributes(name: forge.pki.Certificate['subject']): DnAttribute[] {
  return name.attributes.map((attr) => ({
    oid: String(attr.type),
    value: decodeAttributeValue(attr as { value?: unknown; valueTagClass?: number }),
  }));
}

function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;]/g, (ch) => `\\${ch}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 0) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514: most specific first, "," without spaces: "CN=Sandbox CA,O=Example,C=DK". */
export function formatDnRfc4514(attrs: DnAttribute[]): string {
  return [...attrs]
    .reverse()
    .map((a) => `${attributeTypeName(a.oid)}=${escapeValue(a.value)}`)
    .join(',');
}

/** X.500 / "OpenSSL -nameopt compat" order: least specific first, ", " separators: "C=DK, O=Example, CN=Sandbox CA". */
export function formatDnX500(attrs: DnAttribute[]): string {
  return attrs.map((a) => `${attributeTypeName(a.oid)}=${escapeValue(a.value)}`).join(', ');
}

/** Thrown by parseDn on text that is not a DN. */
export class DnParseError extends Error {
  override name = 'DnParseError';
}

function typeToOid(type: string): string | undefined {
  const t = type.trim();
  const dotted = t.replace(/^oid\./i, '');
  if (/^\d+(\.\d+)+$/.test(dotted)) return dotted;
  return NAME_TO_OID[t.toLowerCase()];
}

/**
 * Parses a DN in either RFC 4514 or X.500 spelling: "," or ";" separators with optional
 * spaces, "+" for multi-valued RDNs (flattened), backslash escapes (incl. \XX hex), quoted values.
 * Returns the attributes in the order written.
 */
export function parseDn(text: string): DnAttribute[] {
  const attrs: DnAttribute[] = [];
  let i = 0;
  const n = text.length;
  const skipSpaces = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skipSpaces();
  if (i >= n) throw new DnParseError('empty distinguished name');
  while (i < n) {
    skipSpaces();
    const typeStart = i;
    while (i < n && text[i] !== '=' && text[i] !== ',' && text[i] !== ';' && text[i] !== '+') i++;
    if (i >= n || text[i] !== '=') throw new DnParseError(`expected "=" after "${text.slice(typeStart, i).trim()}"`);
    const type = text.slice(typeStart, i).trim();
    const oid = typeToOid(type);
    if (!type || !oid) throw new DnParseError(`unknown attribute type "${type}"`);
    i++; // '='
    skipSpaces();
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
      if (i >= n) throw new DnParseError('unterminated quoted value');
      i++;
      skipSpaces();
    } else {
      let trailingEscapedSpace = false;
      while (i < n && text[i] !== ',' && text[i] !== ';' && text[i] !== '+') {
        if (text[i] === '\\') {
          const hex = text.slice(i + 1, i + 3);
          if (/^[0-9a-fA-F]{2}$/.test(hex)) {
            value += String.fromCharCode(parseInt(hex, 16));
            i += 3;
          } else if (i + 1 < n) {
            value += text[i + 1];
            trailingEscapedSpace = text[i + 1] === ' ';
            i += 2;
            continue;
          } else {
            throw new DnParseError('dangling backslash');
          }
        } else {
          value += text[i++];
        }
        trailingEscapedSpace = false;
      }
      if (!trailingEscapedSpace) value = value.replace(/[ \t]+$/, '');
    }
    attrs.push({ oid, value });
    if (i < n) {
      if (text[i] !== ',' && text[i] !== ';' && text[i] !== '+') throw new DnParseError(`unexpected "${text[i]}"`);
      i++;
      skipSpaces();
      if (i >= n) throw new DnParseError('trailing separator');
    }
  }
  return attrs;
}

function attributeKey(a: DnAttribute): string {
  // Case-insensitive, whitespace-collapsed: how caseIgnoreMatch-ish comparisons behave in practice.
  return `${a.oid}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`;
}

/**
 * True when both names hold the same attributes, in any order. Banks spell the CA in keyId
 * either way round (RFC 4514 or X.500 order), so order cannot matter.
 */
export function dnEquals(a: DnAttribute[], b: DnAttribute[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(attributeKey).sort();
  const right = b.map(attributeKey).sort();
  return left.every((k, idx) => k === right[idx]);
}
