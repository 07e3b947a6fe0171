"""The texts behind the demo case work (``models.seed.demo_casework``): invented, never real people."""

# Need assessments: per life area, (level, note) to choose from.
AREA_NOTES = {
    "housing": [
        ("none", "Elab üürikorteris, eluase korras ja turvaline."),
        ("some", "Korter vajab väiksemat kohandamist, vannitoas puuduvad käepidemed."),
        ("considerable", "Üür kaks kuud võlgnevuses, oht eluasemest ilma jääda."),
        ("great", "Elab ajutiselt sugulase juures, püsiv eluase puudub."),
    ],
    "income": [
        ("none", "Töövõimetoetus ja puudetoetus katavad igapäevased kulud."),
        ("some", "Raha jagub kuu lõpuni vaid osaliselt, vajab abi eelarve koostamisel."),
        ("considerable", "Kiirlaenud ja võlgnevused, arved maksmata."),
        ("great", "Sissetulek puudub, toetuste taotlused esitamata."),
    ],
    "physical_health": [
        ("none", "Kaebusi ei ole, perearsti juures käib regulaarselt."),
        ("some", "Seljavalud, liikumine vähene."),
        ("considerable", "Diabeet halvasti kontrolli all, ravimite võtmine ebaregulaarne."),
        ("great", "Liikumine abivahendiga, kodust väljas käimine keeruline."),
    ],
    "mental_health": [
        ("some", "Seisund stabiilne, psühhiaatri vastuvõtul kord kvartalis."),
        ("considerable", "Ärevus ja unehäired, ravimite võtmisel vajab meeldetuletust."),
        ("considerable", "Meeleolu kõikuv, viimasel aastal üks haiglaravi."),
        ("great", "Sagedased ägenemised, kaks haiglaravi viimase aasta jooksul."),
    ],
    "work_study": [
        ("some", "Soovib leida osalise ajaga tööd, on Töötukassas arvel."),
        ("considerable", "Töökogemus puudub, põhikool lõpetamata."),
        ("great", "Ei ole viis aastat töötanud, usaldus enda vastu madal."),
        ("none", "Töötab osalise koormusega kaitstud töökohal."),
    ],
    "daily_coping": [
        ("some", "Toidu valmistamisel ja koristamisel vajab aeg-ajalt juhendamist."),
        ("considerable", "Poes käimine ja asjaajamine ametiasutustes ilma toeta ei õnnestu."),
        ("great", "Päevarütm puudub, isiklik hügieen vajab igapäevast meeldetuletust."),
    ],
    "social": [
        ("none", "Suhtleb ema ja õega, sõpru on."),
        ("some", "Lähedased elavad kaugel, suhtlus peamiselt telefonitsi."),
        ("considerable", "Üksildane, väljaspool kodu suhtleb vaid tugiisikuga."),
        ("great", "Suhted perega katkenud, võrgustik puudub."),
    ],
    "safety": [
        ("none", "Ohte ei tuvastatud."),
        ("none", "Turvalisusega probleeme ei ole."),
        ("some", "Naabritega konfliktid, politsei on korra välja kutsutud."),
        ("considerable", "Unustab pliidi sisse, vajab suitsuandurit ja järelevalvet."),
    ],
}

ASSESSMENT_SUMMARIES = [
    "Vajab tuge igapäevaelu korraldamisel ja vaimse tervise hoidmisel; võrgustik on toetav, kuid koormatud.",
    "Peamised mured on rahaasjad ja eluase; motiveeritud ise tegutsema, kui keegi on kõrval.",
    "Abivajadus mitmes eluvaldkonnas; soovib õppida ja leida tööd, vajab selleks järjepidevat tuge.",
    "Seisund on haiglaravi järel stabiliseerumas; esmane vajadus on igapäevane juhendamine kodus.",
    "Hakkab iseseisvalt toime tulema, kuid vajab tuge asjaajamisel ja suhtlusvõrgustiku laiendamisel.",
]
REVIEW_SUMMARIES = [
    "Korduv hindamine: olukord on paranenud, igapäevaelus tuleb enam toime; tugi jätkub väiksemas mahus.",
    "Korduv hindamine: eluase on korras, võlad ajatatud; jätkuvalt vajab tuge töö leidmisel.",
    "Korduv hindamine: vaimne tervis stabiilne, käib päevakeskuses; tegevusplaan uuendatakse.",
]

# Action plans: goals (text, obstacles, [(activity, who answers for it)]).
GOALS = [
    ("Elab iseseisvalt oma kodus ja tuleb igapäevaeluga toime.", "Päevarütm puudub, väsib kiiresti.",
     [("Igapäevaelu toetamine kaks korda nädalas", "provider"), ("Nädala menüü ja poenimekirja koostamine", "client"),
      ("Kodu koristamise graafik külmkapi uksel", "client"), ("Ema aitab suurpuhastusega", "network_member")]),
    ("Rahaasjad on korras ja arved makstud õigel ajal.", "Võlad, kiirlaenud.",
     [("Võlanõustaja vastuvõtule minek", "client"), ("Kuu eelarve koostamine koos tegevusjuhendajaga", "provider"),
      ("Püsimaksete seadistamine internetipangas", "client"), ("Toimetulekutoetuse taotlemine", "case_manager")]),
    ("Leiab osalise ajaga töö.", "Pikk tööpaus, hirm uue kollektiivi ees.",
     [("Töötukassas arvele võtmine", "client"), ("CV koostamine koos tööhõivespetsialistiga", "provider"),
      ("Proovipäev kaitstud töökohal", "provider"), ("Tööintervjuuks valmistumine tugiisikuga", "network_member")]),
    ("Vaimne tervis püsib stabiilne, haiglaravi ei ole vaja.", "Ravimite võtmine ebaregulaarne.",
     [("Psühhiaatri vastuvõtud kord kvartalis", "client"), ("Ravimikarp ja meeldetuletus telefonis", "provider"),
      ("Kogemusnõustaja kohtumised kaks korda kuus", "provider"), ("Kriisiplaani koostamine", "case_manager")]),
    ("Suhtlusvõrgustik laieneb, leiab huvitegevuse.", "Üksildus, ärevus uutes olukordades.",
     [("Päevakeskuse tegevustes osalemine", "client"), ("Käsitööringiga liitumine", "client"),
      ("Õde käib kaasas esimesel korral", "network_member")]),
    ("Eluase on turvaline ja kohandatud.", "Vannituba libe, trepp ilma käsipuuta.",
     [("Eluaseme kohandamise taotlus vallale", "case_manager"), ("Käepidemete paigaldus vannituppa", "provider"),
      ("Suitsuanduri kontroll", "network_member")]),
    ("Füüsiline tervis paraneb, liigub rohkem.", "Seljavalud, abivahendit ei ole.",
     [("Füsioteraapia kord nädalas", "provider"), ("Perearsti vastuvõtt ja abivahendi taotlus", "client"),
      ("Transpordi korraldamine teraapiasse", "case_manager")]),
]  # fmt: skip

PLAN_RESOURCES = [
    "Motiveeritud, hea huumorimeelega; toetav ema ja õde.",
    "Tuleb toime lihtsamate toimingutega; hea suhe tegevusjuhendajaga.",
    "Varasem töökogemus müüjana; oskab arvutit kasutada.",
    "Käib meelsasti päevakeskuses; tugiisik on olemas.",
]
PLAN_RECOMMENDATIONS = [
    "Jätkata igapäevaelu toetamist, ülevaatus poole aasta pärast.",
    "Kaaluda toetatud elamise teenust, kui iseseisev elamine ei õnnestu.",
    "Suunata töö- ja õppimise toe komponenti, kui tervis lubab.",
    None,
]
ASSESSED_DONE = ["Täidetud, kinnitatud ülevaatusel.", "Tehtud, klient rahul.", "Täidetud tähtajaks."]

STEP_NOTES = {
    "application": ["Taotlus saabus e-posti teel.", "Taotlus esitati vallamajas.", "Taotlus saabus perearsti kaudu."],
    "assessed": ["Abivajadus hinnatud koduvisiidil.", "Hindamine vallamajas koos lähedasega."],
    "decision": ["Otsus: osaleb isikukeskse erihoolekande pilootprojektis."],
    "referred": ["Suunatud baastoetuse teenuse pakkujale."],
    "plan": ["Tegevusplaan koostatud koos kliendiga, allkirjastatud."],
    "reviewed": ["Tegevusplaan vaadatud üle, eesmärgid täpsustatud.", "Poolaasta ülevaatus."],
    "closed": ["Juhtum suletud, klient teavitatud.", "Juhtum suletud lõpetamise otsusega."],
}

COUNSELLING_NOTES = {
    "rehabilitation": "Selgitatud sotsiaalse rehabilitatsiooni teenust ja taotlemise korda.",
    "special_welfare": "Räägitud erihoolekandeteenustest ja pilootprojekti teenuskomponentidest.",
    "public_services": "Aidatud leida perearst ja registreerida hambaarsti vastuvõtule.",
    "social_rights": "Selgitatud õigust toimetulekutoetusele ja puudetoetusele.",
    "applying": "Täidetud koos töövõime hindamise taotlus.",
}

# Meetings: (kind, title, minutes, follow-up tasks); participants are chosen by kind.
MEETINGS = [
    ("network", "Võrgustikukohtumine kliendi kodus",
     "Arutati igapäevaelu toetamise mahtu ja ema rolli. Klient soovib rohkem iseseisvust.",
     ["Saata tegevusplaani muudatus võrgustikule", "Uurida toetatud elamise vabu kohti"]),
    ("network", "Võrgustikukohtumine pärast haiglaravi",
     "Psühhiaatri soovitusel tihendatakse kogemusnõustaja kohtumisi. Õde aitab ravimitega.",
     ["Kokku leppida kogemusnõustaja aeg", "Teavitada perearsti kokkulepetest"]),
    ("provider", "Baastoetuse pakkujate kohtumine",
     "Arutati aruandluse vormi muudatusi ja tegevusjuhendajate asendamist suvel.",
     ["Saata pakkujatele uus aruande vorm", "Koostada suvine asenduste graafik"]),
    ("provider", "Lisatoetuste pakkujatega hinnapäringute arutelu",
     "Pakkujad tutvustasid uusi hindu; füsioteraapia ootejärjekord on kaks nädalat.",
     ["Võrrelda pakkumisi ja teha ettepanek juhatajale"]),
    ("participants", "Osalejate kohtumine päevakeskuses",
     "Osalejad andsid tagasisidet teenustele, sooviti rohkem ühistegevusi ja väljasõite.",
     ["Korraldada osalejatele väljasõit", "Koguda tagasiside kirjalikult"]),
    ("participants", "Osalejate infotund uuest teenusmudelist",
     "Tutvustati põhiteenuse ja tugiteenuste mõisteid ning elukvaliteedi küsimustikku.",
     ["Saata infotunni materjalid osalejatele"]),
    ("agency", "Koostöökohtumine Sotsiaalkindlustusametiga",
     "SKA piirkondlik nõustaja selgitas koondarve ja aruannete esitamise tähtaegu.",
     ["Saata SKA-le kvartaliaruanne", "Täpsustada hinnakirja lisa muudatus"]),
    ("agency", "Koostöökohtumine Töötukassaga",
     "Arutati osalejate tööle saamise tuge ja kaitstud töö võimalusi Raplas.",
     ["Kokku leppida ühisvastuvõtu aeg"]),
]  # fmt: skip
AGENCY_GUESTS = {
    "Koostöökohtumine Sotsiaalkindlustusametiga": "Sotsiaalkindlustusameti piirkondlik nõustaja",
    "Koostöökohtumine Töötukassaga": "Töötukassa Rapla osakonna juhtumikorraldaja",
}

# Inspections: (findings, [(violation kind, severity, description)]).
INSPECTIONS = [
    ("Dokumentatsioon üldiselt korras; kahe töötaja kvalifikatsiooni tõendid puudusid.",
     [("qualification", "significant", "Tegevusjuhendaja kutsetunnistus aegunud."),
      ("documentation", "minor", "Teenuse osutamise päevik täitmata kahe nädala eest.")]),
    ("Kliendi teenus ei vastanud tegevusplaanile: kokkulepitud kohtumised jäid ära.",
     [("not_as_planned", "severe", "Igapäevaelu toetamise tunnid jäid kuu jooksul poolikuks."),
      ("billing", "significant", "Arvel rohkem tunde kui päevikus."),
      ("client_rights", "minor", "Kliendiga ei arutatud ajamuudatusi.")]),
    ("Ruumid ja ohutus kontrollitud.",
     [("safety", "significant", "Tuletõkkeuks kiilutud lahti, evakuatsiooniplaan puudu."),
      ("documentation", "minor", "Ohutusjuhendi tutvumislehel allkirjad puudu.")]),
    ("Kontrollitud arveldust ja teenuse mahtu; olulisi puudusi ei leitud.",
     [("billing", "minor", "Üks sõit arvestatud kaks korda.")]),
]  # fmt: skip

MATERIALS = [
    ("Pilootprojekti osalejate kvartaliaruanne", "forwarded_to_ska", None, "Saadetud SKA piirkondlikule nõustajale."),
    ("Teenuskomponentide hinnakirja muudatusettepanek", "forwarded_to_ska", None, None),
    ("Isikukeskne erihoolekanne Rapla vallas: infoleht", "published",
     "https://www.rapla.ee/sotsiaalabi/isikukeskne-erihoolekanne", "Infoleht ka paberil vallamajas."),
    ("Kuidas taotleda tugiteenuseid: juhend", "published", "https://www.rapla.ee/sotsiaalabi/tugiteenused", None),
    ("Elukvaliteedi küsimustiku kokkuvõte", "forwarded_to_ska", None, "Esimese aasta tulemused."),
]  # fmt: skip
