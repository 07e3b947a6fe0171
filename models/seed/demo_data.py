"""The tables behind the demo municipality (``models.seed.demo``): invented names, never real people.

Dates that must stay meaningful (certificates, offers) are given as days from today;
price periods and the contracted procurement carry fixed dates.
"""

from datetime import date

# (role, e-mail, full name); every role at least once, three case managers.
USERS = [
    ("admin", "haldur@rapla.example", "Andres Mägi"),
    ("head", "juhataja@rapla.example", "Maie Kuusk"),
    ("case_manager", "kadri.kask@rapla.example", "Kadri Kask"),
    ("case_manager", "margus.tamm@rapla.example", "Margus Tamm"),
    ("case_manager", "piret.lepik@vaike-maarja.example", "Piret Lepik"),
    ("accountant", "raamatupidaja@rapla.example", "Tiina Org"),
    ("registrar", "asjaajaja@rapla.example", "Ene Vaher"),
]

# (name, county, registry code or None when we do not know it).
MUNICIPALITIES = [
    ("Rapla vald", "Raplamaa", None),
    ("Kehtna vald", "Raplamaa", None),
    ("Kohila vald", "Raplamaa", None),
    ("Märjamaa vald", "Raplamaa", None),
    ("Saue vald", "Harjumaa", None),
    ("Türi vald", "Järvamaa", None),
    ("Järva vald", "Järvamaa", None),
    ("Põhja-Pärnumaa vald", "Pärnumaa", None),
    ("Väike-Maarja vald", "Lääne-Virumaa", None),
    ("Rõuge vald", "Võrumaa", "77000217"),
]

# Where clients live: municipality -> [(settlement, streets)].
PLACES = {
    "Rapla vald": [
        ("Rapla linn", ["Tallinna mnt", "Viljandi mnt", "Kooli tn", "Jaama tn", "Väljaotsa tn", "Koidu tn"]),
        ("Alu alevik", ["Alu tee", "Pargi tn"]),
        ("Kuusiku küla", ["Mõisa tee"]),
        ("Hagudi alevik", ["Jaama tn", "Kase tn"]),
    ],
    "Väike-Maarja vald": [
        ("Väike-Maarja alevik", ["Pikk tn", "Ravila tn", "Simuna mnt", "Lõuna tn"]),
        ("Kiltsi küla", ["Lossi tee"]),
    ],
}

# Qualifications of the people who deliver services.
QUALIFICATIONS = {
    "support": "tegevusjuhendaja kutse, tase 4",
    "psych": "kliiniline psühholoog",
    "nurse": "vaimse tervise õde",
    "peer": "kogemusnõustaja",
    "social": "sotsiaaltöötaja kutse, tase 6",
    "physio": "füsioterapeut, tase 6",
    "driver": "bussijuhi ja esmaabi tunnistus",
    "job": "tööhõivespetsialist, tase 6",
}

# Providers: (name, registry prefix, kinds "b"ase/"c"omponent/"s"upplementary, municipality,
# contact person, bank, notes, staff as (qualification key, certificate valid for N days or None)).
PROVIDERS = [
    ("Rapla Tugikeskus MTÜ", "80", "b", "Rapla vald", "Kaja Pärn", "22",
     "Baastoetus Rapla valla osalejatele; päevakeskus Tallinna mnt 14.",
     [("support", 700), ("social", 420), ("nurse", 30)]),
    ("Kohila Hoolekandekeskus SA", "90", "bc", "Kohila vald", "Rein Laur", "10",
     "Baastoetus ja igapäevaelu toetamine; toetatud elamise kohad Kohilas.",
     [("support", 900), ("support", -45), ("nurse", 510)]),
    ("Türi Päevakeskus MTÜ", "80", "bs", "Türi vald", "Helen Ilves", "17",
     "Baastoetus Türi suunal; lisatoetusena igapäevaelu toetamine.", [("social", 365), ("support", 1200)]),
    ("Kehtna Kogukonnateenused OÜ", "10", "cs", "Kehtna vald", "Toomas Koppel", "22",
     "Teenused üle Raplamaa, ka õhtuti.", [("support", 640), ("psych", 25), ("driver", 300), ("peer", None)]),
    ("Märjamaa Vaimse Tervise Keskus OÜ", "11", "c", "Märjamaa vald", "Kristi Saar", "77",
     "Psühholoog ja psühhiaater kohapeal kaks päeva nädalas.", [("psych", 800), ("nurse", -10), ("psych", 1500)]),
    ("Raplamaa Füsioteraapia OÜ", "12", "cs", "Rapla vald", "Siim Kallas", "10",
     "Ruumid ratastooliga ligipääsetavad.", [("physio", 1000), ("physio", 55)]),
    ("Rapla Sotsiaaltransport OÜ", "10", "c", "Rapla vald", "Urmas Hunt", "17",
     "Kaks ratastoolitõstukiga bussi.", [("driver", 250), ("driver", -120)]),
    ("Kogemusnõustajate Ühendus Raplamaa MTÜ", "80", "c", "Rapla vald", "Merle Kivi", "77",
     "Kogemusnõustajad nii individuaalselt kui grupis.", [("peer", 600), ("peer", 480), ("peer", 40)]),
    ("Põhja-Pärnumaa Töötoad SA", "90", "c", "Põhja-Pärnumaa vald", "Indrek Paju", "22",
     "Kaitstud töö ja töölesaamise tugi; koostöö Töötukassaga.", [("job", 700), ("support", 330)]),
    ("Kodukohandus OÜ", "11", "s", "Saue vald", "Priit Raud", "10",
     "Eluruumide kohandamine ja abivahendite paigaldus.", [("support", 450)]),
    ("Saue Psühholoogiakabinet OÜ", "12", "s", "Saue vald", "Annika Luik", "77",
     "Vastuvõtt ka e-kanalis.", [("psych", 1100), ("psych", -200)]),
    ("Väike-Maarja Noorte Tugikeskus MTÜ", "80", "s", "Väike-Maarja vald", "Kaspar Oja", "17",
     "Noortegarantii tugisüsteemi noored ja erivajadusega noored.", [("social", 900), ("peer", 15)]),
]  # fmt: skip

# Components: (code, name, area, unit, yearly cap, provider requirements, staff qualification,
# prices by mode as (2025, 2026)).
COMPONENTS = [
    ("ISTE-01", "Psühholoogiline nõustamine", "mental_health", "hour", None,
     "Tervishoiuteenuse osutaja või psühholoogide kutseregistris olev spetsialist.",
     "kliiniline psühholoog või nõustamispsühholoog",
     {"individual": ("55.00", "58.00"), "family": ("60.00", "63.00"), "group": ("22.00", "24.00")}),
    ("ISTE-02", "Kogemusnõustamine", "mental_health", "hour", None,
     "Kogemusnõustajate supervisioon vähemalt kord kvartalis.", "kogemusnõustaja koolituse läbinud isik",
     {"individual": ("28.00", "30.00"), "group": ("12.00", "13.00")}),
    ("ISTE-03", "Psühhiaatri konsultatsioon", "mental_health", "time", None,
     "Tervise infosüsteemi liidestatud tervishoiuteenuse osutaja.", "psühhiaater",
     {"individual": ("85.00", "90.00")}),
    ("ISTE-04", "Igapäevaelu toetamine", "daily_living", "hour", None,
     "Erihoolekandeteenuse osutamise kogemus vähemalt kaks aastat.", "tegevusjuhendaja kutse, tase 4",
     {"individual": ("26.00", "28.00"), "family": ("30.00", "32.00"), "group": ("11.00", "12.00")}),
    ("ISTE-05", "Rahaasjade korraldamise tugi", "daily_living", "hour", None,
     None, "tegevusjuhendaja või sotsiaaltöötaja",
     {"individual": ("26.00", "28.00")}),
    ("ISTE-06", "Eluaseme kohandamine", "housing", "time", "2500.00",
     "Ehitustööde tegemiseks registreeritud ettevõtja.", None,
     {"individual": ("450.00", "480.00")}),
    ("ISTE-07", "Toetatud elamine", "housing", "day", None,
     "Eluruum osutaja valduses, valve telefonil ööpäev läbi.", "tegevusjuhendaja kutse, tase 4",
     {"individual": ("32.00", "34.50")}),
    ("ISTE-08", "Töö- ja õppimise tugi", "work_study", "hour", "3000.00",
     "Koostöö Töötukassa ja õppeasutusega.", "tööhõivespetsialist või tugiisik",
     {"individual": ("30.00", "32.00"), "group": ("14.00", "15.00")}),
    ("ISTE-09", "Füsioteraapia", "physical_health", "hour", None,
     "Tervishoiuteenuste osutaja tegevusluba.", "füsioterapeut, tase 6",
     {"individual": ("45.00", "48.00"), "group": ("18.00", "19.00")}),
    ("ISTE-10", "Transport", "physical_health", "trip", None,
     "Sõiduk ratastooliga kasutajale; kindlustus.", "juhiluba ja esmaabi tunnistus",
     {"individual": ("15.00", "16.00")}),
    ("ISTE-11", "Abivahendite soetamine ja kohandamine", "physical_health", "time", "1500.00",
     "SKA abivahendite ettevõtjate nimekirjas.", None,
     {"individual": ("120.00", "125.00")}),
    ("ISTE-12", "Kogukonnaelus ja vaba aja tegevustes osalemise tugi", "other", "hour", None,
     None, "tegevusjuhendaja või kogemusnõustaja",
     {"individual": ("24.00", "26.00"), "group": ("10.00", "11.00")}),
]  # fmt: skip

PRICE_2025 = (date(2025, 1, 1), date(2025, 12, 31))
PRICE_2026_FROM = date(2026, 1, 1)

# Offers: (provider, component code, status, price or None, asked N days ago,
# received N days after asking or None, valid for N days from asking or None, notes).
OFFERS = [
    ("Saue Psühholoogiakabinet OÜ", "ISTE-01", "received", "60.00", 20, 6, 75, "Ka e-nõustamine."),
    ("Kehtna Kogukonnateenused OÜ", "ISTE-01", "received", "57.50", 90, 7, 45, "Kehtivus läbi, uut ei ole küsitud."),
    ("Türi Päevakeskus MTÜ", "ISTE-01", "asked", None, 5, None, None, None),
    ("Raplamaa Füsioteraapia OÜ", "ISTE-09", "accepted", "46.00", 120, 5, 300, "Leping sõlmitud."),
    ("Kehtna Kogukonnateenused OÜ", "ISTE-09", "declined", "55.00", 118, 9, 200, "Kallim kui teised."),
    ("Kodukohandus OÜ", "ISTE-06", "accepted", "470.00", 200, 10, 365, "Kaldtee ja vannitoa kohandus."),
    ("Kehtna Kogukonnateenused OÜ", "ISTE-06", "expired", "520.00", 260, 12, 60, None),
    ("Türi Päevakeskus MTÜ", "ISTE-06", "received", "495.00", 14, 4, 60, None),
    ("Türi Päevakeskus MTÜ", "ISTE-04", "received", "27.50", 10, 3, 90, "Ka õhtused tunnid."),
    ("Kehtna Kogukonnateenused OÜ", "ISTE-04", "received", "29.00", 10, 5, 90, None),
    ("Saue Psühholoogiakabinet OÜ", "ISTE-04", "asked", None, 2, None, 30, None),
]

# Procurements: the first one contracted, the second one being evaluated.
PROCUREMENTS = [
    dict(
        reference_number="284519",
        title="Isikukeskse erihoolekande teenuskomponentide ostmine 2026–2027",
        procedure_type="simple",
        estimated_value="54000.00",
        status="contracted",
        published_on=date(2025, 10, 6),
        tender_deadline=date(2025, 10, 27),
        decision_on=date(2025, 11, 17),
        contract_on=date(2025, 12, 8),
        contract_start=date(2026, 1, 1),
        contract_end=date(2027, 12, 31),
        components=["ISTE-01", "ISTE-02", "ISTE-04", "ISTE-08"],
        bids=[
            ("Kohila Hoolekandekeskus SA", "51800.00"),
            ("Märjamaa Vaimse Tervise Keskus OÜ", "49950.00"),
            ("Kehtna Kogukonnateenused OÜ", "56400.00"),
        ],
        winner="Märjamaa Vaimse Tervise Keskus OÜ",
        notes="Raamleping; hind tunnihinna alusel.",
    ),
    dict(
        reference_number="291374",
        title="Osalejate sõidutamine teenustele",
        procedure_type="small_value",
        estimated_value="24000.00",
        status="evaluation",
        published_days_ago=40,
        deadline_days_ago=12,
        components=["ISTE-10"],
        bids=[("Rapla Sotsiaaltransport OÜ", "22300.00"), ("Kehtna Kogukonnateenused OÜ", "23900.00")],
        winner=None,
        notes="Pakkumused hindamisel.",
    ),
]

FEMALE = ["Kadri", "Mari", "Liis", "Kristi", "Triin", "Anu", "Katrin", "Helen", "Kaia", "Merle",
          "Eve", "Signe", "Maarja", "Kertu", "Grete", "Laura", "Sandra", "Annika", "Pille", "Reet"]  # fmt: skip
MALE = ["Andres", "Jaan", "Tarmo", "Rein", "Priit", "Toomas", "Urmas", "Indrek", "Raivo", "Kristjan",
        "Siim", "Rasmus", "Karl", "Mihkel", "Oliver", "Martin", "Ott", "Kaspar", "Tõnu", "Madis"]  # fmt: skip
LAST = ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik",
        "Kuusk", "Kallas", "Lill", "Org", "Põld", "Raud", "Vaher", "Järve", "Laur", "Mets", "Toom",
        "Luik", "Paju", "Kivi", "Ots", "Aavik", "Hunt", "Oja", "Roos", "Kuusik", "Vares"]  # fmt: skip

PILOT_DIAGNOSES = ["F20.0", "F31.1", "F33.2", "F41.1", "F60.3", "F25.0", "F32.1", "F42.0"]
SPECIAL_NEEDS_DIAGNOSES = ["F70.0", "F84.0", "F71.1", None]

# Clients: (target group, status, how many, age range); the ineligible applicants come separately.
CLIENT_GROUPS = [
    ("pilot", "active", 17, (21, 60)),
    ("pilot", "paused", 3, (25, 55)),
    ("pilot", "exited", 4, (24, 58)),
    ("pilot", "applicant", 4, (19, 59)),
    ("youth", "active", 3, (17, 25)),
    ("youth", "applicant", 2, (17, 25)),
    ("youth", "exited", 1, (18, 25)),
    ("special_needs", "active", 2, (19, 45)),
    ("special_needs", "applicant", 1, (30, 50)),
]

# Pilot applicants who are not eligible: (age, overrides, note).
INELIGIBLE_APPLICANTS = [
    (70, {"disability": "severe", "main_diagnosis": "F33.2"}, "Vanaduspensioniealine; suunata koduteenusele."),
    (48, {"disability": "severe", "main_diagnosis": "F10.2"}, "Põhidiagnoos alkoholisõltuvus."),
    (35, {"disability": "profound", "main_diagnosis": "F20.0", "on_state_services": True},
     "Saab riiklikku igapäevaelu toetamise teenust."),
]  # fmt: skip

EXIT_REASONS = ["goals_met", "moved", "declined", "state_service"]
# Network roles and the relation shown; a client's network is drawn from NETWORK_POOL
# without replacement, so nobody gets two guardians.
NETWORK_ROLES = {
    "relative": ["ema", "isa", "õde", "vend", "abikaasa", "tütar"],
    "guardian": ["kohtu määratud eestkostja"],
    "support_person": ["tugiisik"],
    "specialist": ["perearst", "psühhiaater", "vaimse tervise õde"],
}
NETWORK_POOL = ["relative", "relative", "relative", "specialist", "specialist", "support_person", "guardian"]
