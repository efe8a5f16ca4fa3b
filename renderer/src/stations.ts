/**
 * Station names for the codes cards and the kiosk configuration carry (NS station abbreviations).
 * Names are proper nouns: the same in every language. A code not listed is shown as itself.
 * Plain data: a kiosk shows only its own region's stations in practice; extend as needed.
 */
const STATION_NAMES: Record<string, string> = {
  AMF: 'Amersfoort Centraal',
  ASD: 'Amsterdam Centraal',
  EHV: 'Eindhoven Centraal',
  GVC: 'Den Haag Centraal',
  RTD: 'Rotterdam Centraal',
  UT: 'Utrecht Centraal',
  ZL: 'Zwolle',
};

export function stationName(code: string): string {
  return STATION_NAMES[code] ?? code;
}
