"""The invitation's words in bokmål and English, and dates the way each language writes them.

Written out here rather than taken from the system's locale: a server's locale is rarely
Norwegian, and the e-mail must read the same wherever it is sent from. The advice follows
the guest pages (web/i18n) and the clinics' own patient guides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from lobby.adapters.directory import Language
from lobby.domain.model import Role

HOME_ZONE = "Europe/Oslo"


@dataclass(frozen=True, slots=True)
class Wording:
    """One language's phrases; `{…}` fields are filled in by `lobby.adapters.mail.document`."""

    other_below: str
    title: str
    intro: str
    roles: Mapping[Role, str]
    time: str
    duration: str
    until: str
    clinic: str
    room: str
    link_heading: str
    link_label: str
    link_fallback: str
    personal: str
    test_heading: str
    test_opens: str
    test_text: str
    prepare_heading: str
    prepare: tuple[str, ...]
    join_heading: str
    join: tuple[str, ...]
    help_heading: str
    help_connect_support: str
    help_connect_clinic: str
    help: tuple[str, ...]
    contact_heading: str
    contact_clinic: str
    the_clinic: str
    contact_support: str
    contact_none: str
    private_heading: str
    private: str
    footer: str
    subject: str
    alarm: str
    summary: str


NB = Wording(
    other_below="English below.",
    title="Innkalling til videokonsultasjon",
    intro="Du har time til videokonsultasjon hos {place}.",
    roles={
        Role.COMPANION: "Du er invitert som ledsager.",
        Role.INTERPRETER: "Du er invitert som tolk.",
    },
    time="Tid",
    duration="Varighet",
    until="til kl. {end}",
    clinic="Klinikk",
    room="Venterom",
    link_heading="Lenken din",
    link_label="Åpne videokonsultasjonen",
    link_fallback="Virker ikke lenken? Kopier denne adressen inn i nettleseren:",
    personal="Lenken er personlig. Ikke del den med andre, og ikke videresend denne e-posten.",
    test_heading="Test utstyret ditt før timen",
    test_opens="Lenken virker fra {opens}.",
    test_text="Den åpner først en test av kamera, mikrofon og lyd. Test i god tid, så rekker du"
    " å ordne det som ikke virker.",
    prepare_heading="Dette trenger du",
    prepare=(
        "En mobiltelefon, PC eller et nettbrett med kamera, mikrofon og høyttaler."
        " Hodetelefoner kan hjelpe, men trengs ikke.",
        "En nyere nettleser: Chrome, Edge, Firefox eller Safari. Du trenger ikke å laste ned"
        " noe program.",
        "God og sikker internettforbindelse, helst nettet hjemme. Unngå åpne nett på kafeer"
        " og andre offentlige steder.",
        "Et rom der du kan være alene, og der ingen andre kan høre samtalen. Alle som er med"
        " deg, må presenteres for behandleren.",
        "Godt lys, så behandleren ser deg godt. Sitt gjerne vendt mot et vindu eller en lampe.",
        "Fullt batteri, eller en lader i nærheten.",
    ),
    join_heading="Slik blir du med",
    join=(
        "Åpne lenken omtrent 10 minutter før timen.",
        "Trykk «Test kamera og mikrofon». Nettleseren spør om lov til å bruke dem: svar ja.",
        "Skriv navnet ditt, og hvem som er sammen med deg. Trykk «Gå inn i venterommet».",
        "Vent i venterommet. Behandleren slipper deg inn når det er din tur.",
    ),
    help_heading="Hvis noe går galt",
    help_connect_support="Klarer du ikke å koble deg på: start enheten på nytt og åpne lenken"
    " igjen. Hjelper ikke det, ring teknisk støtte.",
    help_connect_clinic="Klarer du ikke å koble deg på: start enheten på nytt og åpne lenken"
    " igjen. Hjelper ikke det, ring klinikken.",
    help=(
        "Er du ikke i venterommet til avtalt tid, kan behandleren ringe deg.",
        "Er du forsinket, eller kan du ikke komme: ring klinikken og gi beskjed.",
        "Finner du ikke et sted å sitte i fred: ring klinikken. Behandleren vurderer om en"
        " telefonsamtale er godt nok, eller om du må få ny time.",
        "Blir helsen din verre: kontakt klinikken så snart som mulig, eller fastlegen din."
        " Ved akutt fare, ring 113.",
    ),
    contact_heading="Kontakt",
    contact_clinic="{clinic}, telefon",
    the_clinic="Klinikken",
    contact_support="Teknisk støtte, telefon",
    contact_none="Bruk kontaktinformasjonen du har fått fra klinikken.",
    private_heading="Frivillig og privat",
    private="Det er frivillig å bruke video. Vil du heller ha en annen type time, kontakt"
    " klinikken. Samtalen er kryptert, ingen skal ta den opp, og ingenting av den blir lagret.",
    footer="Denne e-posten er sendt automatisk for {place}.",
    subject="Innkalling til videokonsultasjon {day}",
    alarm="Snart videokonsultasjon: test kamera og mikrofon",
    summary="Videokonsultasjon: {place}",
)

EN = Wording(
    other_below="Norsk tekst nedenfor.",
    title="Your video consultation",
    intro="You have a video consultation with {place}.",
    roles={
        Role.COMPANION: "You are invited as a companion.",
        Role.INTERPRETER: "You are invited as the interpreter.",
    },
    time="Time",
    duration="Duration",
    until="until {end}",
    clinic="Clinic",
    room="Waiting room",
    link_heading="Your link",
    link_label="Open the video consultation",
    link_fallback="If the link does not work, copy this address into your browser:",
    personal="The link is personal. Do not share it with anyone, and do not forward this e-mail.",
    test_heading="Test your equipment before the appointment",
    test_opens="The link works from {opens}.",
    test_text="It first opens a test of your camera, microphone and sound. Test in good time,"
    " so that you can fix anything that does not work.",
    prepare_heading="What you need",
    prepare=(
        "A mobile phone, computer or tablet with a camera, microphone and speaker."
        " Headphones can help but are not needed.",
        "A recent web browser: Chrome, Edge, Firefox or Safari. You do not need to install"
        " anything.",
        "A good and secure internet connection, preferably your home network. Avoid open"
        " networks in cafés and other public places.",
        "A room where you can be alone and no one else can hear the conversation. Everyone"
        " with you must be introduced to the clinician.",
        "Good light, so that the clinician can see you well. Try to face a window or a lamp.",
        "A charged battery, or a charger nearby.",
    ),
    join_heading="How to join",
    join=(
        "Open the link about 10 minutes before your appointment.",
        'Press "Test camera and microphone". Your browser asks to use them: allow it.',
        'Enter your name and who is with you. Press "Join the waiting room".',
        "Wait in the waiting room. Your clinician will let you in when it is your turn.",
    ),
    help_heading="If something goes wrong",
    help_connect_support="If you cannot connect: restart your device and open the link again."
    " If that does not help, call technical support.",
    help_connect_clinic="If you cannot connect: restart your device and open the link again."
    " If that does not help, call the clinic.",
    help=(
        "If you are not in the waiting room at the agreed time, the clinician may call you.",
        "If you are late or cannot come: call the clinic and tell them.",
        "If you cannot find a private place: call the clinic. The clinician will decide whether"
        " a phone call is enough or whether you need a new appointment.",
        "If your health gets worse: contact the clinic as soon as possible, or your GP."
        " In an emergency, call 113.",
    ),
    contact_heading="Contact",
    contact_clinic="{clinic}, phone",
    the_clinic="The clinic",
    contact_support="Technical support, phone",
    contact_none="Use the contact details the clinic gave you.",
    private_heading="Voluntary and private",
    private="Using video is voluntary. If you would rather have another kind of appointment,"
    " contact the clinic. The consultation is encrypted, no one may record it, and nothing of"
    " it is stored.",
    footer="This e-mail was sent automatically on behalf of {place}.",
    subject="Your video consultation on {day}",
    alarm="Video consultation soon: test your camera and microphone",
    summary="Video consultation: {place}",
)

WORDING = {Language.NB: NB, Language.EN: EN}

_NB_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_NB_MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def clock(moment: datetime, language: Language) -> str:
    """10.30 in Norwegian, 10:30 in English."""
    separator = "." if language is Language.NB else ":"
    return f"{moment.hour:02d}{separator}{moment.minute:02d}"


def day(moment: datetime, language: Language) -> str:
    """`8. desember kl. 10.30` / `8 December at 10:30`: short, for a subject line."""
    if language is Language.NB:
        return f"{moment.day}. {_NB_MONTHS[moment.month - 1]} kl. {clock(moment, language)}"
    return f"{moment.day} {_EN_MONTHS[moment.month - 1]} at {clock(moment, language)}"


def when(moment: datetime, language: Language) -> str:
    """`tirsdag 8. desember 2026 kl. 10.30` / `Tuesday 8 December 2026 at 10:30`."""
    if language is Language.NB:
        weekday = _NB_WEEKDAYS[moment.weekday()]
        month = _NB_MONTHS[moment.month - 1]
        return f"{weekday} {moment.day}. {month} {moment.year} kl. {clock(moment, language)}"
    weekday = _EN_WEEKDAYS[moment.weekday()]
    month = _EN_MONTHS[moment.month - 1]
    return f"{weekday} {moment.day} {month} {moment.year} at {clock(moment, language)}"


def zone(moment: datetime, zone_name: str, language: Language) -> str:
    """Which clock the time is on: `norsk tid, UTC+1`, `America/New_York, UTC-5`."""
    offset = _offset(moment.utcoffset() or timedelta(0))
    if zone_name == HOME_ZONE:
        return f"{'norsk tid' if language is Language.NB else 'Norwegian time'}, {offset}"
    return f"{zone_name}, {offset}"


def duration(minutes: int, language: Language) -> str:
    """`45 minutter`, `1 time og 30 minutter` / `45 minutes`, `1 hour 30 minutes`."""
    hours, rest = divmod(minutes, 60)
    if language is Language.NB:
        parts = [f"{hours} {'time' if hours == 1 else 'timer'}"] if hours else []
        parts += [f"{rest} {'minutt' if rest == 1 else 'minutter'}"] if rest else []
        return " og ".join(parts)
    parts = [f"{hours} {'hour' if hours == 1 else 'hours'}"] if hours else []
    parts += [f"{rest} {'minute' if rest == 1 else 'minutes'}"] if rest else []
    return " ".join(parts)


def _offset(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
