/** Shops the generated card purchases come from: a few per country, with their ISO 18245 category codes. */
export interface Merchant {
  name: string;
  mcc: string;
  /** Typical purchase range in minor units. */
  minMinor: number;
  maxMinor: number;
}

export const DANISH_MERCHANTS: readonly Merchant[] = [
  { name: 'Netto', mcc: '5411', minMinor: 2_500, maxMinor: 45_000 },
  { name: 'Føtex', mcc: '5411', minMinor: 5_000, maxMinor: 90_000 },
  { name: 'Rema 1000', mcc: '5411', minMinor: 3_000, maxMinor: 50_000 },
  { name: 'Irma', mcc: '5411', minMinor: 4_000, maxMinor: 40_000 },
  { name: '7-Eleven København H', mcc: '5499', minMinor: 1_500, maxMinor: 9_000 },
  { name: 'DSB Billetautomat', mcc: '4112', minMinor: 2_400, maxMinor: 40_000 },
  { name: 'Matas', mcc: '5912', minMinor: 4_000, maxMinor: 60_000 },
  { name: 'Bilka Hundige', mcc: '5311', minMinor: 10_000, maxMinor: 150_000 },
  { name: 'Lagkagehuset', mcc: '5462', minMinor: 3_500, maxMinor: 15_000 },
  { name: 'Circle K Valby', mcc: '5541', minMinor: 20_000, maxMinor: 80_000 },
];

export const SWEDISH_MERCHANTS: readonly Merchant[] = [
  { name: 'ICA Maxi Lindhagen', mcc: '5411', minMinor: 5_000, maxMinor: 120_000 },
  { name: 'Coop Södermalm', mcc: '5411', minMinor: 3_000, maxMinor: 80_000 },
  { name: 'Willys', mcc: '5411', minMinor: 4_000, maxMinor: 90_000 },
  { name: 'Systembolaget', mcc: '5921', minMinor: 10_000, maxMinor: 60_000 },
  { name: 'Pressbyrån T-Centralen', mcc: '5994', minMinor: 2_000, maxMinor: 12_000 },
  { name: 'SJ AB', mcc: '4112', minMinor: 19_500, maxMinor: 120_000 },
  { name: 'Åhléns City', mcc: '5311', minMinor: 9_900, maxMinor: 150_000 },
  { name: 'Apotek Hjärtat', mcc: '5912', minMinor: 4_900, maxMinor: 40_000 },
  { name: 'Clas Ohlson', mcc: '5251', minMinor: 4_900, maxMinor: 100_000 },
  { name: 'Espresso House', mcc: '5814', minMinor: 3_500, maxMinor: 12_000 },
];

export const FINNISH_MERCHANTS: readonly Merchant[] = [
  { name: 'K-Citymarket Ruoholahti', mcc: '5411', minMinor: 500, maxMinor: 15_000 },
  { name: 'S-Market Kamppi', mcc: '5411', minMinor: 300, maxMinor: 9_000 },
  { name: 'Prisma Itäkeskus', mcc: '5411', minMinor: 800, maxMinor: 20_000 },
  { name: 'Alepa', mcc: '5411', minMinor: 300, maxMinor: 5_000 },
  { name: 'R-Kioski', mcc: '5994', minMinor: 200, maxMinor: 1_500 },
  { name: 'HSL Mobiili', mcc: '4111', minMinor: 280, maxMinor: 6_400 },
  { name: 'ST1 Helsinki Pasila', mcc: '5541', minMinor: 3_000, maxMinor: 9_000 },
  { name: 'Alko', mcc: '5921', minMinor: 1_000, maxMinor: 8_000 },
  { name: 'Stockmann', mcc: '5311', minMinor: 1_500, maxMinor: 25_000 },
  { name: 'Fazer Café', mcc: '5814', minMinor: 400, maxMinor: 2_500 },
];
