/**
 * The benchmark's account of a million users, as a pure function of the row number, so the
 * seeder and the scenarios agree on what is in the database without passing it around.
 */

const FIRST = (
  'olivia liam emma noah amelia oliver ava elijah sophia james isabella william mia benjamin ' +
  'charlotte lucas harper henry evelyn theodore luna jack camila levi gianna alexander aria ' +
  'jackson ella mateo nora daniel hazel michael chloe mason layla sebastian zoe ethan riley ' +
  'logan penelope owen lily samuel eleanor jacob violet asher aurora aiden stella john ivy ' +
  'joseph emilia wyatt willow david naomi leo elena luke maya julian paisley hudson addison ' +
  'grayson aaliyah matthew kinsley ezra quinn gabriel sadie carter hannah isaac ruby jayden ' +
  'lucy luca nova anthony leah dylan audrey lincoln bella thomas claire maverick skylar elias ' +
  'sofia josiah ellie charles priya wei yuki omar fatima ines kofi'
).split(' ');

const LAST = (
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez ' +
  'gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white ' +
  'harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres ' +
  'nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts ' +
  'gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales ' +
  'murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos ' +
  'kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes ' +
  'price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry ' +
  'russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons ' +
  'romero jordan patterson alexander hamilton graham reynolds griffin wallace moreno west ' +
  'cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro ' +
  'marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry ' +
  'chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez ' +
  'silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd ' +
  'rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols ' +
  'stephens soto weaver ryan gardner payne grant dunn kowalski okafor tanaka dubois rossi ' +
  'novak larsen'
).split(' ');

const DOMAINS = (
  'example.com example.org example.net acme.test initech.test globex.test umbrella.test ' +
  'hooli.test stark.test wayne.test tyrell.test cyberdyne.test soylent.test wonka.test ' +
  'aperture.test vandelay.test dundermifflin.test pied-piper.test oscorp.test ' +
  'massive-dynamic.test'
).split(' ');

/** Milliseconds between two seeded users' created_at: a million users span about a year. */
export const SPACING_MS = 30_000;

export type SeedState = 'active' | 'invited' | 'expired';

export interface SeedUser {
  email: string;
  name: string;
  role: 'admin' | 'member' | 'annotator';
  isDeveloper: boolean;
  state: SeedState;
  createdAt: number;
}

/** A small, fast, deterministic hash of the row number (so no row depends on another). */
function mix(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function capitalize(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

export function lastNameOf(i: number): string {
  return LAST[mix(i * 3 + 1) % LAST.length]!;
}

/** Unique per row: the row number in base 36 is part of the local part. */
export function seedUser(i: number, base: number): SeedUser {
  const first = FIRST[mix(i * 3) % FIRST.length]!;
  const last = lastNameOf(i);
  const domain = DOMAINS[mix(i * 3 + 2) % DOMAINS.length]!;
  const kind = i % 20;
  return {
    email: `${capitalize(first)}.${capitalize(last)}.${i.toString(36)}@${domain}`,
    name: `${capitalize(first)} ${capitalize(last)}`,
    role: kind === 7 ? 'admin' : kind === 8 ? 'annotator' : 'member',
    isDeveloper: kind !== 8,
    state: kind < 2 ? 'invited' : kind === 2 ? 'expired' : 'active',
    createdAt: base + i * SPACING_MS,
  };
}

/** A substring that names about one user: the tail of the local part and the row number. */
export function rareSubstring(i: number): string {
  return `${lastNameOf(i)}.${i.toString(36)}@`;
}

/** Surnames: each is in about one address in two hundred (about 5,000 of a million). */
export const COMMON_SUBSTRINGS: readonly string[] = LAST.slice(0, 40);
