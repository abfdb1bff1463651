/**
 * ISO 3166-1 alpha-2 codes, with English names from the runtime's ICU data. Intl knows a
 * few extra region codes (EU, UN, old and private-use codes) that are not countries; they
 * are left out below.
 */
const NOT_COUNTRIES = new Set(
  'AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB XK YD YU ZR ZZ'.split(' '),
);

function buildCountries(): { code: string; name: string }[] {
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const list: { code: string; name: string }[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const name = names.of(code);
      if (name && name !== code && !NOT_COUNTRIES.has(code)) list.push({ code, name });
    }
  }
  return list.sort((x, y) => x.name.localeCompare(y.name, 'en'));
}

export const COUNTRIES = buildCountries();
const CODES = new Set(COUNTRIES.map((c) => c.code));

export const isCountryCode = (code: string) => CODES.has(code);
