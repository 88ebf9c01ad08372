/** ISO 13616 mod-97 check digits, computed on digit strings in chunks to stay within safe integers. */
function mod97(digits: string): number {
  let remainder = 0;
  for (let i = 0; i < digits.length; i += 7) {
    remainder = Number(String(remainder) + digits.slice(i, i + 7)) % 97;
  }
  return remainder;
}

/** Letters become 10..35 as ISO 13616 prescribes. */
function toDigits(text: string): string {
  return text
    .toUpperCase()
    .split('')
    .map((ch) => (ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch))
    .join('');
}

export function ibanFromBban(countryCode: string, bban: string): string {
  const check = 98 - mod97(toDigits(bban + countryCode + '00'));
  return countryCode + String(check).padStart(2, '0') + bban;
}

export function isValidIban(iban: string): boolean {
  const compact = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  return mod97(toDigits(compact.slice(4) + compact.slice(0, 4))) === 1;
}

/** A Danish IBAN: DKkk + 4-digit bank code (registreringsnummer) + 10-digit account number, 18 chars. */
export function danishIban(bankCode: string, accountNumber: string): { iban: string; bban: string } {
  if (!/^[0-9]{4}$/.test(bankCode)) throw new RangeError('Danish bank code must be 4 digits');
  if (!/^[0-9]{10}$/.test(accountNumber)) throw new RangeError('Danish account number must be 10 digits');
  const bban = bankCode + accountNumber;
  return { iban: ibanFromBban('DK', bban), bban };
}
