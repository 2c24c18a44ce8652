"""Sentences a person says to a voice assistant, in the paper's six languages.

Each language has a bank: templates of three kinds (question, request, statement) with named
slots, and a tuple of fillers per slot. Agreement lives in the fillers, not in code: a German
slot holds noun phrases already declined for its case (``meinen Vater`` in an accusative slot,
``meinem Vater`` in a dative one), a Spanish slot holds them with the right article. All
templates, fillers and sentences were written for this project.

``generate_sentences`` walks the templates round-robin (so every template is used about
equally, however large its slots) and draws each template's fillers without replacement, so
it returns distinct sentences, deterministic for a seed.

    >>> generate_sentences("de", 2, seed=1)  # doctest: +SKIP
    ['Was brauche ich für Bananenbrot?', 'Brauche ich nächste Woche einen Regenschirm?']
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Collection, Iterator
from dataclasses import dataclass

LANGS = ("en", "de", "es", "vi", "zh", "id")
KINDS = ("question", "request", "statement")


@dataclass(frozen=True)
class Bank:
    templates: dict[str, tuple[str, ...]]  # kind -> templates with {slot} fields
    slots: dict[str, tuple[str, ...]]  # slot -> fillers


# --------------------------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------------------------
EN = Bank(
    templates={
        "question": (
            "What's the weather like in {city} {day}?",
            "Will it rain in {city} {day}?",
            "Do I need an umbrella {day}?",
            "How long should I cook {food}?",
            "What do I need to make {dish}?",
            "How tall is {landmark}?",
            "When was {landmark} built?",
            "How long do {animals} usually live?",
            "What do {animals} usually eat?",
            "What is the capital of {country}?",
            "How many people live in {country}?",
            "How do you say {phrase} in {language}?",
            "Where can I buy {item} around here?",
            "What would be a nice present for {person}?",
            "What helps with {symptom}?",
            "When does {departure} to {city} leave?",
            "How long is the flight from {origin} to {city}?",
            "Is it cold in {city} in {month}?",
            "How far is it from {origin} to {city}?",
        ),
        "request": (
            "Remind me to {task} {time}.",
            "Please give me a recipe for {dish}.",
            "Play {music} in the {room}.",
            "Add {item} to my shopping list.",
            "Call {person} {time}.",
            "Text {person} that {message}.",
            "Find me a cheap hotel in {city}.",
            "Please set a timer for {duration}.",
            "Wake me up {wake_time}.",
            "Turn {on_off} the lights in the {room}.",
            "Set the heating in the {room} to {degrees} degrees.",
            "Translate {phrase} into {language}.",
            "Don't let me forget to {task} {day}.",
            "Book a table for {party} {day}.",
        ),
        "statement": (
            "I'm going to {city} {day}.",
            "My flight to {city} leaves {time}.",
            "I'm making {dish} {day}.",
            "I have had {symptom} {since}.",
            "The {appliance} in the {room} is broken.",
            "{person} is coming to visit {day}.",
            "Honestly, I feel {feeling} today.",
            "I think we are out of {item}.",
            "I have {appointment} {day}.",
            "{person} lives in {city}.",
            "{person}'s birthday is in {month}.",
        ),
    },
    slots={
        "city": (
            "Berlin", "Paris", "Tokyo", "London", "Madrid", "Hanoi", "Jakarta", "Beijing",
            "Sydney", "Chicago", "Toronto", "Cairo", "Rome", "Lisbon", "Seoul", "Mumbai",
            "Dublin", "Vienna", "Bangkok", "Boston",
        ),
        "origin": (
            "New York", "Frankfurt", "Singapore", "Dubai", "Amsterdam", "Los Angeles",
            "Istanbul", "Hong Kong",
        ),
        "day": (
            "today", "tomorrow", "this weekend", "on Monday", "on Friday", "tonight",
            "this afternoon", "next week", "on Saturday", "tomorrow morning",
        ),
        "time": (
            "at seven", "at half past eight", "at noon", "tonight", "tomorrow morning",
            "in ten minutes", "in half an hour", "after lunch", "on Sunday",
            "at a quarter past three",
        ),
        "month": (
            "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December",
        ),
        "party": ("two", "three", "four", "five", "six", "eight"),
        "wake_time": (
            "at six", "at half past six", "at seven tomorrow", "at a quarter to seven",
            "in an hour", "in twenty minutes", "at five in the morning", "at eight on Sunday",
        ),
        "food": (
            "an egg", "rice", "pasta", "potatoes", "broccoli", "a chicken breast", "salmon",
            "carrots", "corn on the cob", "lentils", "spinach", "dumplings",
        ),
        "dish": (
            "pancakes", "a vegetable soup", "fried rice", "a chocolate cake", "banana bread",
            "a tomato sauce", "chicken curry", "a Greek salad", "mashed potatoes",
            "lentil soup", "an omelette", "pizza dough", "apple pie", "scrambled eggs",
            "garlic bread",
        ),
        "landmark": (
            "the Eiffel Tower", "the Colosseum", "the Great Wall of China",
            "the Statue of Liberty", "Big Ben", "the Sagrada Familia", "the Taj Mahal",
            "the Sydney Opera House", "the Leaning Tower of Pisa", "the Golden Gate Bridge",
            "the Empire State Building", "the Brandenburg Gate",
        ),
        "animals": (
            "cats", "dogs", "elephants", "turtles", "horses", "parrots", "goldfish", "rabbits",
            "whales", "owls", "bees", "penguins", "lions", "camels", "frogs", "sharks",
        ),
        "country": (
            "Canada", "Australia", "Brazil", "Japan", "Kenya", "Norway", "Peru", "Vietnam",
            "Indonesia", "Germany", "Spain", "Egypt", "Turkey", "Chile", "Thailand", "Poland",
            "Morocco", "Argentina", "New Zealand", "Portugal",
        ),
        "phrase": (
            "thank you", "good morning", "where is the station", "I am hungry",
            "see you tomorrow", "how much is this", "happy birthday", "excuse me",
            "good night", "I love you",
        ),
        "language": (
            "French", "German", "Spanish", "Vietnamese", "Chinese", "Indonesian", "Japanese",
            "Italian", "Korean", "Portuguese",
        ),
        "item": (
            "milk", "eggs", "bread", "bananas", "coffee", "toothpaste", "olive oil", "rice",
            "butter", "apples", "dish soap", "cheese", "tomatoes", "onions", "orange juice",
            "toilet paper", "yoghurt", "oat milk", "batteries", "laundry detergent",
        ),
        "person": (
            "my mother", "my father", "my sister", "my brother", "my grandmother",
            "my grandfather", "my aunt", "my uncle", "my daughter", "my son", "my niece",
            "my nephew", "my best friend", "my cousin",
        ),
        "symptom": (
            "a headache", "a sore throat", "a cough", "back pain", "a cold", "hay fever",
            "an upset stomach", "sunburn", "insomnia", "muscle cramps", "a runny nose",
            "heartburn",
        ),
        "since": (
            "since yesterday", "since this morning", "for two days", "for a week",
            "since Monday", "since the weekend",
        ),
        "departure": (
            "the next train", "the next bus", "the next flight", "the next ferry",
            "the last train", "the first bus",
        ),
        "task": (
            "call my sister", "water the plants", "buy milk", "take my medicine",
            "pay the rent", "pick up the kids", "send the report", "book a dentist appointment",
            "feed the cat", "walk the dog", "fill up the car", "take out the rubbish",
            "renew my passport", "charge my phone", "return the library books",
        ),
        "music": (
            "some jazz", "relaxing piano music", "the latest hits", "classical music",
            "something by the Beatles", "songs from the nineties", "rock music",
            "a podcast about history", "music for running", "rain sounds",
            "my workout playlist", "some salsa",
        ),
        "message": (
            "I'm running late", "dinner is ready", "I'm on my way home",
            "the traffic is terrible", "the train is delayed", "I'm working late today",
            "we're having a barbecue tomorrow", "I forgot my keys",
        ),
        "duration": (
            "five minutes", "ten minutes", "twenty minutes", "half an hour", "an hour",
            "forty-five seconds", "three minutes", "fifteen minutes", "two hours",
            "ninety seconds",
        ),
        "on_off": ("on", "off"),
        "room": (
            "kitchen", "living room", "bedroom", "bathroom", "hallway", "garage", "office",
            "kids' room",
        ),
        "degrees": (
            "eighteen", "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-three",
            "twenty-four",
        ),
        "appliance": (
            "fridge", "heating", "light", "washing machine", "TV", "Wi-Fi", "air conditioner",
            "printer",
        ),
        "feeling": (
            "tired", "a bit sick", "great", "stressed", "happy", "nervous", "exhausted",
            "really good",
        ),
        "appointment": (
            "a dentist appointment", "a doctor's appointment", "an eye test", "a haircut",
            "a job interview",
        ),
    },
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# German: each slot holds phrases declined for the case its templates need.
# --------------------------------------------------------------------------------------------
DE = Bank(
    templates={
        "question": (
            "Wie wird das Wetter {tag} in {stadt}?",
            "Regnet es {tag} in {stadt}?",
            "Brauche ich {tag} einen Regenschirm?",
            "Wie lange muss ich {lebensmittel_akk} kochen?",
            "Was brauche ich für {gericht_akk}?",
            "Wie hoch ist {bauwerk_nom}?",
            "Wann wurde {bauwerk_nom} gebaut?",
            "Wie alt werden {tiere} normalerweise?",
            "Was fressen {tiere} eigentlich?",
            "Was ist die Hauptstadt von {land}?",
            "Wie viele Einwohner hat {land}?",
            "Was heißt {phrase} auf {sprache}?",
            "Wo kann ich hier {ware} kaufen?",
            "Was schenke ich {person_dat} zum Geburtstag?",
            "Was hilft gegen {beschwerde}?",
            "Wann geht {verbindung} nach {stadt}?",
            "Wie lange fliegt man von {abflugort} nach {stadt}?",
            "Ist es im {monat} in {stadt} kalt?",
            "Wie weit ist es von {abflugort} nach {stadt}?",
            "Kannst du mich {tag} daran erinnern, {aufgabe}?",
        ),
        "request": (
            "Erinnere mich {zeit} daran, {aufgabe}.",
            "Gib mir bitte ein Rezept für {gericht_akk}.",
            "Spiel {musik} {raum_dat}.",
            "Setz {ware} auf die Einkaufsliste.",
            "Ruf {person_akk} {zeit} an.",
            "Schreib {person_dat}, dass {nachricht}.",
            "Such mir ein günstiges Hotel in {stadt}.",
            "Stell einen Timer auf {dauer}.",
            "Bitte weck mich {weckzeit}.",
            "Mach das Licht {raum_dat} {an_aus}.",
            "Stell die Heizung {raum_dat} auf {grad} Grad.",
            "Übersetze {phrase} {ins_sprache}.",
        ),
        "statement": (
            "Ich reise {tag} nach {stadt}.",
            "Mein Flug nach {stadt} geht {zeit}.",
            "Ich mache {tag} {gericht_akk}.",
            "Ich habe seit {seit} {beschwerde}.",
            "{geraet_nom} {raum_dat} ist kaputt.",
            "{person_nom} kommt {tag} zu Besuch.",
            "Ich fühle mich heute {gefuehl}.",
            "Wir haben {kein_vorrat} mehr.",
            "Ich habe {tag} einen Termin {termin}.",
            "Ich brauche {tag} einen Tisch für {personenzahl}.",
            "{person_nom} wohnt in {stadt}.",
            "{person_nom} hat im {monat} Geburtstag.",
        ),
    },
    slots={
        "stadt": (
            "Berlin", "München", "Hamburg", "Köln", "Wien", "Zürich", "Paris", "Rom",
            "Madrid", "Tokio", "Leipzig", "Dresden", "Bremen", "Graz", "Salzburg", "Basel",
            "Stuttgart", "Prag", "Lissabon", "Kopenhagen",
        ),
        "abflugort": (
            "Frankfurt", "Düsseldorf", "New York", "Singapur", "Dubai", "Amsterdam",
            "Istanbul", "Hongkong",
        ),
        "tag": (
            "heute", "morgen", "am Wochenende", "am Montag", "am Freitag", "heute Abend",
            "morgen früh", "nächste Woche", "übermorgen", "am Samstag",
        ),
        "zeit": (
            "um sieben Uhr", "um halb neun", "um zwölf Uhr", "heute Abend", "morgen früh",
            "in zehn Minuten", "in einer halben Stunde", "nach dem Mittagessen", "am Sonntag",
            "um Viertel nach drei",
        ),
        "monat": (
            "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember",
        ),
        "personenzahl": (
            "zwei Personen", "drei Personen", "vier Personen", "fünf Personen",
            "sechs Personen", "acht Personen",
        ),
        "weckzeit": (
            "um sechs Uhr", "um halb sieben", "morgen um sieben", "um Viertel vor sieben",
            "in einer Stunde", "in zwanzig Minuten", "morgen früh um fünf",
            "am Sonntag um acht",
        ),
        "lebensmittel_akk": (
            "ein Ei", "Reis", "Nudeln", "Kartoffeln", "Brokkoli", "eine Hähnchenbrust", "Lachs",
            "Karotten", "einen Maiskolben", "Linsen", "Spinat", "Knödel",
        ),
        "gericht_akk": (
            "Pfannkuchen", "eine Gemüsesuppe", "gebratenen Reis", "einen Schokoladenkuchen",
            "Bananenbrot", "eine Tomatensoße", "ein Hühnercurry", "einen griechischen Salat",
            "Kartoffelbrei", "eine Linsensuppe", "ein Omelett", "einen Pizzateig",
            "einen Apfelkuchen", "Rührei", "Knoblauchbrot",
        ),
        "bauwerk_nom": (
            "der Eiffelturm", "das Kolosseum", "die Chinesische Mauer", "die Freiheitsstatue",
            "der Big Ben", "die Sagrada Família", "das Taj Mahal", "das Opernhaus in Sydney",
            "der Schiefe Turm von Pisa", "die Golden Gate Bridge", "der Kölner Dom",
            "das Brandenburger Tor",
        ),
        "tiere": (
            "Katzen", "Hunde", "Elefanten", "Schildkröten", "Pferde", "Papageien", "Goldfische",
            "Kaninchen", "Wale", "Eulen", "Bienen", "Pinguine", "Löwen", "Kamele", "Frösche",
            "Haie",
        ),
        # only countries used without an article ("von Kanada", not "von der Schweiz")
        "land": (
            "Kanada", "Australien", "Brasilien", "Japan", "Kenia", "Norwegen", "Peru",
            "Vietnam", "Indonesien", "Spanien", "Ägypten", "Chile", "Thailand", "Polen",
            "Marokko", "Argentinien", "Neuseeland", "Portugal", "Schweden", "Finnland",
        ),
        "phrase": (
            "danke", "guten Morgen", "wo ist der Bahnhof", "ich habe Hunger", "bis morgen",
            "was kostet das", "alles Gute zum Geburtstag", "Entschuldigung", "gute Nacht",
            "ich liebe dich",
        ),
        "sprache": (
            "Französisch", "Englisch", "Spanisch", "Vietnamesisch", "Chinesisch",
            "Indonesisch", "Japanisch", "Italienisch", "Koreanisch", "Portugiesisch",
        ),
        "ins_sprache": (
            "ins Französische", "ins Englische", "ins Spanische", "ins Vietnamesische",
            "ins Chinesische", "ins Indonesische", "ins Japanische", "ins Italienische",
            "ins Koreanische", "ins Portugiesische",
        ),
        # mass nouns and plurals: no article needed in any case
        "ware": (
            "Milch", "Eier", "Brot", "Bananen", "Kaffee", "Zahnpasta", "Olivenöl", "Reis",
            "Butter", "Äpfel", "Spülmittel", "Käse", "Tomaten", "Zwiebeln", "Orangensaft",
            "Toilettenpapier", "Joghurt", "Hafermilch", "Batterien", "Waschmittel",
        ),
        "kein_vorrat": (
            "keine Milch", "keine Eier", "kein Brot", "keine Bananen", "keinen Kaffee",
            "keine Zahnpasta", "kein Olivenöl", "keinen Reis", "keine Butter", "keine Äpfel",
            "kein Spülmittel", "keinen Käse", "keine Tomaten", "keine Zwiebeln",
            "keinen Orangensaft", "kein Toilettenpapier",
        ),
        "person_nom": (
            "meine Mutter", "mein Vater", "meine Schwester", "mein Bruder", "meine Oma",
            "mein Opa", "meine Tante", "mein Onkel", "meine Tochter", "mein Sohn",
            "meine Nichte", "mein Neffe", "mein bester Freund", "meine Cousine",
        ),
        "person_akk": (
            "meine Mutter", "meinen Vater", "meine Schwester", "meinen Bruder", "meine Oma",
            "meinen Opa", "meine Tante", "meinen Onkel", "meine Tochter", "meinen Sohn",
            "meine Nichte", "meinen Neffen", "meinen besten Freund", "meine Cousine",
        ),
        "person_dat": (
            "meiner Mutter", "meinem Vater", "meiner Schwester", "meinem Bruder", "meiner Oma",
            "meinem Opa", "meiner Tante", "meinem Onkel", "meiner Tochter", "meinem Sohn",
            "meiner Nichte", "meinem Neffen", "meinem besten Freund", "meiner Cousine",
        ),
        # accusative: after "gegen" and as the object of "haben"
        "beschwerde": (
            "Kopfschmerzen", "Halsschmerzen", "Husten", "Rückenschmerzen", "eine Erkältung",
            "Heuschnupfen", "Bauchschmerzen", "einen Sonnenbrand", "Schlafstörungen",
            "Muskelkrämpfe", "Schnupfen", "Sodbrennen",
        ),
        "seit": (
            "gestern", "heute Morgen", "zwei Tagen", "einer Woche", "Montag", "dem Wochenende",
        ),
        "verbindung": (
            "der nächste Zug", "der nächste Bus", "der nächste Flug", "die nächste Fähre",
            "der letzte Zug", "der erste Bus",
        ),
        # zu-infinitive clauses
        "aufgabe": (
            "meine Schwester anzurufen", "die Blumen zu gießen", "Milch zu kaufen",
            "meine Tabletten zu nehmen", "die Miete zu überweisen", "die Kinder abzuholen",
            "den Bericht zu schicken", "einen Termin beim Zahnarzt zu machen",
            "die Katze zu füttern", "mit dem Hund rauszugehen", "das Auto zu tanken",
            "den Müll rauszubringen", "meinen Pass zu verlängern", "mein Handy aufzuladen",
            "die Bücher zurückzubringen",
        ),
        "musik": (
            "etwas Jazz", "ruhige Klaviermusik", "die neuesten Hits", "klassische Musik",
            "etwas von den Beatles", "Musik aus den Neunzigern", "Rockmusik",
            "einen Podcast über Geschichte", "Musik zum Laufen", "Regengeräusche",
            "meine Trainingsplaylist", "etwas Salsa",
        ),
        # subordinate clauses: verb last
        "nachricht": (
            "ich später komme", "das Essen fertig ist", "ich gleich zu Hause bin",
            "ich im Stau stehe", "der Zug Verspätung hat", "ich heute länger arbeite",
            "wir morgen grillen", "ich meinen Schlüssel vergessen habe",
        ),
        "dauer": (
            "fünf Minuten", "zehn Minuten", "zwanzig Minuten", "eine halbe Stunde",
            "eine Stunde", "fünfundvierzig Sekunden", "drei Minuten", "fünfzehn Minuten",
            "zwei Stunden", "neunzig Sekunden",
        ),
        "an_aus": ("an", "aus"),
        "raum_dat": (
            "in der Küche", "im Wohnzimmer", "im Schlafzimmer", "im Bad", "im Flur",
            "in der Garage", "im Büro", "im Kinderzimmer",
        ),
        "grad": (
            "achtzehn", "neunzehn", "zwanzig", "einundzwanzig", "zweiundzwanzig",
            "dreiundzwanzig", "vierundzwanzig",
        ),
        "geraet_nom": (
            "der Kühlschrank", "die Heizung", "das Licht", "die Waschmaschine", "der Fernseher",
            "das WLAN", "die Klimaanlage", "der Drucker",
        ),
        "gefuehl": (
            "müde", "ein bisschen krank", "großartig", "gestresst", "glücklich", "nervös",
            "erschöpft", "richtig gut",
        ),
        "termin": (
            "beim Zahnarzt", "beim Hausarzt", "beim Augenarzt", "beim Friseur",
            "bei der Bank",
        ),
    },
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Spanish: articles and gender are part of the fillers.
# --------------------------------------------------------------------------------------------
ES = Bank(
    templates={
        "question": (
            "¿Qué tiempo va a hacer {dia} en {ciudad}?",
            "¿Va a llover {dia} en {ciudad}?",
            "¿Necesito llevar paraguas {dia}?",
            "¿Cuánto tiempo hay que cocinar {alimento}?",
            "¿Qué ingredientes lleva {plato_def}?",
            "¿Qué altura tiene {monumento}?",
            "¿Cuándo se construyó {monumento}?",
            "¿Cuántos años viven {animales}?",
            "¿Qué suelen comer {animales}?",
            "¿Cuál es la capital de {pais}?",
            "¿Cuántos habitantes tiene {pais}?",
            "¿Cómo se dice {frase} en {idioma}?",
            "¿Dónde puedo comprar {producto} por aquí?",
            "¿Qué le regalo a {persona} por su cumpleaños?",
            "¿Qué es bueno para {sintoma_def}?",
            "¿A qué hora sale {transporte} para {ciudad}?",
            "¿Cuánto dura el vuelo de {origen} a {ciudad}?",
            "¿Suele hacer frío en {ciudad} en {mes}?",
            "¿Qué distancia hay de {origen} a {ciudad}?",
        ),
        "request": (
            "Recuérdame {tarea} {hora}.",
            "Dame una receta de {plato}.",
            "Pon {musica} en {habitacion}.",
            "Añade {producto} a la lista de la compra.",
            "Llama a {persona} {hora}.",
            "Escríbele a {persona} que {mensaje}.",
            "Búscame un hotel barato en {ciudad}.",
            "Pon un temporizador de {duracion}.",
            "Despiértame {hora_alarma}.",
            "{encender} la luz de {habitacion}.",
            "Pon la calefacción de {habitacion} a {grados} grados.",
            "Traduce {frase} al {idioma}.",
            "No me dejes olvidar {tarea} {dia}.",
            "Reserva una mesa para {comensales} {dia}.",
        ),
        "statement": (
            "Me voy de viaje a {ciudad} {dia}.",
            "Mi vuelo a {ciudad} sale {hora}.",
            "Voy a preparar {plato_indef} {dia}.",
            "Tengo {sintoma} desde {desde}.",
            "{aparato} de {habitacion} no funciona.",
            "{persona} viene a visitarnos {dia}.",
            "La verdad es que hoy tengo {estado}.",
            "Ya no tenemos {producto} en casa.",
            "Tengo cita {cita} {dia}.",
            "{persona} vive en {ciudad} desde hace años.",
            "El cumpleaños de {persona} es en {mes}.",
        ),
    },
    slots={
        "ciudad": (
            "Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Buenos Aires", "Lima",
            "Bogotá", "Santiago", "Quito", "Montevideo", "Guadalajara", "La Habana", "París",
            "Roma", "Tokio", "Berlín", "Londres", "Lisboa", "Málaga",
        ),
        "origen": (
            "Nueva York", "Fráncfort", "Singapur", "Dubái", "Ámsterdam", "Los Ángeles",
            "Estambul", "Hong Kong",
        ),
        "dia": (
            "hoy", "mañana", "este fin de semana", "el lunes", "el viernes", "esta noche",
            "esta tarde", "la próxima semana", "pasado mañana", "el sábado",
        ),
        "hora": (
            "a las siete", "a las ocho y media", "a mediodía", "esta noche",
            "mañana por la mañana", "en diez minutos", "en media hora", "después de comer",
            "el domingo", "a las tres y cuarto",
        ),
        "mes": (
            "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre", "octubre", "noviembre", "diciembre",
        ),
        "comensales": ("dos", "tres", "cuatro", "cinco", "seis", "ocho"),
        "hora_alarma": (
            "a las seis", "a las seis y media", "mañana a las siete", "a las siete menos cuarto",
            "dentro de una hora", "dentro de veinte minutos", "a las cinco de la mañana",
            "el domingo a las ocho",
        ),
        "alimento": (
            "un huevo", "el arroz", "la pasta", "las patatas", "el brócoli",
            "una pechuga de pollo", "el salmón", "las zanahorias", "una mazorca de maíz",
            "las lentejas", "las espinacas", "los garbanzos",
        ),
        "plato": (
            "tortilla de patatas", "gazpacho", "paella", "arroz frito", "tarta de chocolate",
            "pan de plátano", "salsa de tomate", "pollo al curry", "ensalada griega",
            "puré de patatas", "sopa de lentejas", "masa de pizza", "tarta de manzana",
            "huevos revueltos", "pan de ajo",
        ),
        "plato_def": (
            "la tortilla de patatas", "el gazpacho", "la paella", "el arroz frito",
            "la tarta de chocolate", "el pan de plátano", "la salsa de tomate",
            "el pollo al curry", "la ensalada griega", "el puré de patatas",
            "la sopa de lentejas", "la masa de pizza", "la tarta de manzana",
            "los huevos revueltos", "el pan de ajo",
        ),
        "plato_indef": (
            "una tortilla de patatas", "un gazpacho", "una paella", "arroz frito",
            "una tarta de chocolate", "pan de plátano", "una salsa de tomate",
            "pollo al curry", "una ensalada griega", "puré de patatas", "sopa de lentejas",
            "una pizza casera", "una tarta de manzana", "huevos revueltos", "pan de ajo",
        ),
        "monumento": (
            "la torre Eiffel", "el Coliseo", "la Gran Muralla china", "la Estatua de la Libertad",
            "el Big Ben", "la Sagrada Familia", "el Taj Mahal", "la Ópera de Sídney",
            "la torre de Pisa", "el puente Golden Gate", "la Giralda", "la Puerta de Alcalá",
        ),
        "animales": (
            "los gatos", "los perros", "los elefantes", "las tortugas", "los caballos",
            "los loros", "los peces de colores", "los conejos", "las ballenas", "los búhos",
            "las abejas", "los pingüinos", "los leones", "los camellos", "las ranas",
            "los tiburones",
        ),
        "pais": (
            "Canadá", "Australia", "Brasil", "Japón", "Kenia", "Noruega", "Perú", "Vietnam",
            "Indonesia", "Alemania", "Egipto", "Turquía", "Chile", "Tailandia", "Polonia",
            "Marruecos", "Argentina", "Nueva Zelanda", "Portugal", "Colombia",
        ),
        "frase": (
            "gracias", "buenos días", "dónde está la estación", "tengo hambre",
            "hasta mañana", "cuánto cuesta", "feliz cumpleaños", "perdón", "buenas noches",
            "te quiero",
        ),
        "idioma": (
            "francés", "alemán", "inglés", "vietnamita", "chino", "indonesio", "japonés",
            "italiano", "coreano", "portugués",
        ),
        # no article needed: "Ya no tenemos pan", "Añade huevos a la lista"
        "producto": (
            "leche", "huevos", "pan", "plátanos", "café", "pasta de dientes", "aceite de oliva",
            "arroz", "mantequilla", "manzanas", "lavavajillas", "queso", "tomates", "cebollas",
            "zumo de naranja", "papel higiénico", "yogur", "leche de avena", "pilas",
            "detergente",
        ),
        "persona": (
            "mi madre", "mi padre", "mi hermana", "mi hermano", "mi abuela", "mi abuelo",
            "mi tía", "mi tío", "mi hija", "mi hijo", "mi sobrina", "mi sobrino",
            "mi mejor amigo", "mi prima",
        ),
        "sintoma": (
            "dolor de cabeza", "dolor de garganta", "tos", "dolor de espalda", "un resfriado",
            "alergia", "dolor de estómago", "fiebre", "insomnio", "calambres",
            "la nariz tapada", "acidez",
        ),
        "sintoma_def": (
            "el dolor de cabeza", "el dolor de garganta", "la tos", "el dolor de espalda",
            "el resfriado", "la alergia", "el dolor de estómago", "las quemaduras solares",
            "el insomnio", "los calambres", "la nariz tapada", "la acidez",
        ),
        "desde": (
            "ayer", "esta mañana", "hace dos días", "hace una semana", "el lunes",
            "el fin de semana",
        ),
        "transporte": (
            "el próximo tren", "el próximo autobús", "el próximo vuelo", "el próximo ferri",
            "el último tren", "el primer autobús",
        ),
        "tarea": (
            "llamar a mi hermana", "regar las plantas", "comprar leche", "tomar la medicina",
            "pagar el alquiler", "recoger a los niños", "enviar el informe",
            "pedir cita con el dentista", "dar de comer al gato", "sacar al perro",
            "echar gasolina", "sacar la basura", "renovar el pasaporte", "cargar el móvil",
            "devolver los libros",
        ),
        "musica": (
            "un poco de jazz", "música de piano relajante", "los últimos éxitos",
            "música clásica", "algo de los Beatles", "canciones de los noventa", "música rock",
            "un pódcast de historia", "música para correr", "sonidos de lluvia",
            "mi lista de entrenamiento", "algo de salsa",
        ),
        "mensaje": (
            "llego tarde", "la cena está lista", "ya voy para casa", "hay mucho tráfico",
            "el tren va con retraso", "hoy trabajo hasta tarde", "mañana hacemos barbacoa",
            "me he olvidado las llaves",
        ),
        "duracion": (
            "cinco minutos", "diez minutos", "veinte minutos", "media hora", "una hora",
            "cuarenta y cinco segundos", "tres minutos", "quince minutos", "dos horas",
            "noventa segundos",
        ),
        "encender": ("enciende", "apaga"),
        # after "de": "de la cocina", "del salón" is spelled "de el" -> use full phrases
        "habitacion": (
            "la cocina", "la sala", "la habitación", "la oficina", "la entrada",
            "la terraza", "la buhardilla", "la habitación de los niños",
        ),
        "grados": (
            "dieciocho", "diecinueve", "veinte", "veintiún", "veintidós", "veintitrés",
            "veinticuatro",
        ),
        "aparato": (
            "la nevera", "la calefacción", "la lámpara", "la lavadora", "la tele", "el wifi",
            "el aire acondicionado", "la impresora",
        ),
        "estado": (
            "mucho sueño", "mucha energía", "un poco de fiebre", "muchas ganas de salir",
            "mucho trabajo", "un día difícil", "el día libre", "mucha prisa",
        ),
        "cita": (
            "con el dentista", "con el médico", "con el oculista", "en la peluquería",
            "en el banco",
        ),
    },
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Vietnamese
# --------------------------------------------------------------------------------------------
VI = Bank(
    templates={
        "question": (
            "Thời tiết {ngay} ở {thanh_pho} thế nào?",
            "{ngay} ở {thanh_pho} có mưa không?",
            "{ngay} tôi có cần mang ô không?",
            "Luộc {thuc_pham} thì mất bao nhiêu phút?",
            "Làm {mon_an} cần những nguyên liệu gì?",
            "{cong_trinh} cao bao nhiêu mét?",
            "{cong_trinh} được xây dựng khi nào?",
            "{dong_vat} sống được bao nhiêu năm?",
            "{dong_vat} thường ăn những gì?",
            "Thủ đô của {quoc_gia} là gì?",
            "{quoc_gia} có bao nhiêu người dân?",
            "{cum_tu} trong tiếng {ngon_ngu} nói thế nào?",
            "Gần đây chỗ nào bán {hang}?",
            "Nên tặng gì cho {nguoi} nhân dịp sinh nhật?",
            "Bị {trieu_chung} thì nên làm gì?",
            "{chuyen} đi {thanh_pho} khởi hành lúc mấy giờ?",
            "Bay từ {noi_di} đến {thanh_pho} mất bao lâu?",
            "Tháng {thang} ở {thanh_pho} có lạnh không?",
            "Từ {noi_di} đến {thanh_pho} bao xa?",
        ),
        "request": (
            "Nhắc tôi {viec} {luc}.",
            "Chỉ cho tôi cách làm {mon_an}.",
            "Mở {nhac} ở {phong}.",
            "Thêm {hang} vào danh sách mua sắm.",
            "Gọi cho {nguoi} {luc}.",
            "Nhắn cho {nguoi} là {tin_nhan}.",
            "Tìm cho tôi một khách sạn rẻ ở {thanh_pho}.",
            "Hẹn giờ {thoi_luong} giúp tôi.",
            "Đánh thức tôi {gio_bao_thuc}.",
            "{bat_tat} đèn ở {phong}.",
            "Chỉnh điều hòa {phong} về {nhiet_do} độ.",
            "Dịch câu {cum_tu} sang tiếng {ngon_ngu}.",
            "Đừng để tôi quên {viec} {ngay}.",
            "Đặt bàn cho {so_nguoi} người {ngay}.",
        ),
        "statement": (
            "Tôi sẽ đi {thanh_pho} {ngay}.",
            "Chuyến bay đi {thanh_pho} của tôi cất cánh {luc}.",
            "{ngay} tôi sẽ làm {mon_an}.",
            "Tôi bị {trieu_chung} từ {tu_khi} đến giờ.",
            "{thiet_bi} ở {phong} bị hỏng rồi.",
            "{nguoi} sẽ đến chơi {ngay}.",
            "Hôm nay tôi cảm thấy {cam_xuc}.",
            "Nhà mình hết {hang} rồi.",
            "Tôi có lịch {lich_hen} {ngay}.",
            "{nguoi} sống ở {thanh_pho}.",
            "Sinh nhật {nguoi} vào tháng {thang}.",
        ),
    },
    slots={
        "thanh_pho": (
            "Hà Nội", "Sài Gòn", "Đà Nẵng", "Huế", "Hải Phòng", "Cần Thơ", "Nha Trang",
            "Đà Lạt", "Vũng Tàu", "Hạ Long", "Sa Pa", "Hội An", "Quy Nhơn", "Phú Quốc",
            "Bangkok", "Tokyo", "Paris", "Seoul", "Singapore", "Bắc Kinh",
        ),
        "noi_di": (
            "New York", "Frankfurt", "Sydney", "Dubai", "Luân Đôn", "Los Angeles", "Istanbul",
            "Hồng Kông",
        ),
        "ngay": (
            "hôm nay", "ngày mai", "cuối tuần này", "vào thứ hai", "vào thứ sáu", "tối nay",
            "chiều nay", "tuần sau", "ngày kia", "sáng mai",
        ),
        "luc": (
            "lúc bảy giờ", "lúc tám giờ rưỡi", "lúc mười hai giờ trưa", "tối nay", "sáng mai",
            "mười phút nữa", "nửa tiếng nữa", "sau bữa trưa", "vào chủ nhật",
            "lúc ba giờ mười lăm",
        ),
        "thang": (
            "một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một",
            "mười hai",
        ),
        "so_nguoi": ("hai", "ba", "bốn", "năm", "sáu", "tám"),
        "gio_bao_thuc": (
            "lúc sáu giờ", "lúc sáu giờ rưỡi", "lúc bảy giờ sáng mai", "lúc bảy giờ kém mười lăm",
            "sau một tiếng nữa", "sau hai mươi phút nữa", "lúc năm giờ sáng",
            "lúc tám giờ sáng chủ nhật",
        ),
        "thuc_pham": (
            "trứng", "khoai tây", "bông cải xanh", "ngô", "rau muống", "tôm", "thịt gà",
            "cà rốt", "đậu que", "khoai lang", "bắp cải", "sườn heo",
        ),
        "mon_an": (
            "phở bò", "bún chả", "canh chua", "cơm chiên", "bánh xèo", "gỏi cuốn", "cá kho tộ",
            "thịt kho trứng", "chè đậu xanh", "bánh flan", "súp bí đỏ", "mì xào", "bún bò Huế",
            "chả giò", "xôi gà",
        ),
        "cong_trinh": (
            "tháp Eiffel", "đấu trường Colosseum", "Vạn Lý Trường Thành",
            "tượng Nữ thần Tự do", "tháp đồng hồ Big Ben", "nhà thờ Sagrada Família",
            "lăng Taj Mahal", "nhà hát Opera Sydney", "tháp nghiêng Pisa", "cầu Cổng Vàng",
            "chùa Một Cột", "tòa nhà Bitexco",
        ),
        "dong_vat": (
            "mèo", "chó", "voi", "rùa", "ngựa", "vẹt", "cá vàng", "thỏ", "cá voi", "cú mèo",
            "ong", "chim cánh cụt", "sư tử", "lạc đà", "ếch", "cá mập",
        ),
        "quoc_gia": (
            "Canada", "Úc", "Brazil", "Nhật Bản", "Kenya", "Na Uy", "Peru", "Đức", "Indonesia",
            "Tây Ban Nha", "Ai Cập", "Thổ Nhĩ Kỳ", "Chile", "Thái Lan", "Ba Lan", "Ma Rốc",
            "Argentina", "New Zealand", "Bồ Đào Nha", "Hàn Quốc",
        ),
        "cum_tu": (
            "cảm ơn", "chào buổi sáng", "nhà ga ở đâu", "tôi đói rồi", "hẹn gặp lại ngày mai",
            "cái này bao nhiêu tiền", "chúc mừng sinh nhật", "xin lỗi", "chúc ngủ ngon",
            "anh yêu em",
        ),
        "ngon_ngu": (
            "Pháp", "Đức", "Anh", "Tây Ban Nha", "Trung", "Indonesia", "Nhật", "Ý", "Hàn",
            "Bồ Đào Nha",
        ),
        "hang": (
            "sữa", "trứng", "bánh mì", "chuối", "cà phê", "kem đánh răng", "dầu ô liu", "gạo",
            "bơ", "táo", "nước rửa bát", "phô mai", "cà chua", "hành tây", "nước cam",
            "giấy vệ sinh", "sữa chua", "sữa yến mạch", "pin", "bột giặt",
        ),
        "nguoi": (
            "mẹ tôi", "bố tôi", "chị gái tôi", "anh trai tôi", "bà tôi", "ông tôi", "cô tôi",
            "chú tôi", "con gái tôi", "con trai tôi", "cháu gái tôi", "cháu trai tôi",
            "bạn thân tôi", "em họ tôi",
        ),
        "trieu_chung": (
            "đau đầu", "đau họng", "ho", "đau lưng", "cảm lạnh", "dị ứng phấn hoa", "đau bụng",
            "sốt", "mất ngủ", "chuột rút", "sổ mũi", "ợ nóng",
        ),
        "tu_khi": ("hôm qua", "sáng nay", "hai hôm trước", "tuần trước", "thứ hai", "cuối tuần"),
        "chuyen": (
            "chuyến tàu tiếp theo", "chuyến xe buýt tiếp theo", "chuyến bay tiếp theo",
            "chuyến phà tiếp theo", "chuyến tàu cuối cùng", "chuyến xe buýt đầu tiên",
        ),
        "viec": (
            "gọi điện cho chị gái", "tưới cây", "mua sữa", "uống thuốc", "trả tiền nhà",
            "đón con", "gửi báo cáo", "đặt lịch khám răng", "cho mèo ăn", "dắt chó đi dạo",
            "đổ xăng", "đổ rác", "gia hạn hộ chiếu", "sạc điện thoại", "trả sách thư viện",
        ),
        "nhac": (
            "nhạc jazz", "nhạc piano nhẹ nhàng", "những bài hát mới nhất", "nhạc cổ điển",
            "nhạc Trịnh Công Sơn", "nhạc thập niên chín mươi", "nhạc rock",
            "một podcast về lịch sử", "nhạc để chạy bộ", "tiếng mưa rơi",
            "danh sách nhạc tập thể dục", "nhạc bolero",
        ),
        "tin_nhan": (
            "tôi sẽ về muộn", "cơm nấu xong rồi", "tôi đang trên đường về",
            "đường đang kẹt xe", "tàu bị trễ", "hôm nay tôi phải tăng ca",
            "mai cả nhà đi ăn ngoài", "tôi quên chìa khóa",
        ),
        "thoi_luong": (
            "năm phút", "mười phút", "hai mươi phút", "nửa tiếng", "một tiếng",
            "bốn mươi lăm giây", "ba phút", "mười lăm phút", "hai tiếng", "chín mươi giây",
        ),
        "bat_tat": ("bật", "tắt"),
        "phong": (
            "nhà bếp", "phòng khách", "phòng ngủ", "phòng tắm", "hành lang", "nhà để xe",
            "phòng làm việc", "phòng của bọn trẻ",
        ),
        "nhiet_do": (
            "hai mươi", "hai mươi mốt", "hai mươi hai", "hai mươi ba", "hai mươi tư",
            "hai mươi lăm", "hai mươi sáu",
        ),
        "thiet_bi": (
            "tủ lạnh", "máy sưởi", "đèn", "máy giặt", "ti vi", "wifi", "điều hòa", "máy in",
        ),
        "cam_xuc": (
            "mệt", "hơi ốm", "rất vui", "căng thẳng", "hạnh phúc", "lo lắng", "kiệt sức",
            "khỏe lắm",
        ),
        "lich_hen": (
            "khám răng", "khám bệnh", "khám mắt", "cắt tóc", "phỏng vấn xin việc",
        ),
    },
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Chinese (simplified): no spaces, full-width punctuation, numbers in characters.
# --------------------------------------------------------------------------------------------
ZH = Bank(
    templates={
        "question": (
            "{tian}{chengshi}的天气怎么样？",
            "{tian}{chengshi}会下雨吗？",
            "我{tian}出门需要带伞吗？",
            "{shiwu}要煮多长时间？",
            "做{cai}需要什么材料？",
            "{jianzhu}有多高？",
            "{jianzhu}是什么时候建的？",
            "{dongwu}一般能活多少年？",
            "{dongwu}平时都吃些什么？",
            "{guojia}的首都是哪里？",
            "{guojia}有多少人口？",
            "{duanyu}用{yuyan}怎么说？",
            "附近哪里可以买到{dongxi}？",
            "{ren}过生日送什么礼物好？",
            "{zhengzhuang}的时候应该怎么办？",
            "去{chengshi}的{banci}几点出发？",
            "从{chufadi}飞到{chengshi}要多长时间？",
            "{yue}的{chengshi}冷不冷？",
            "从{chufadi}到{chengshi}有多远？",
        ),
        "request": (
            "{shijian}提醒我{shiqing}。",
            "教我做{cai}。",
            "在{fangjian}播放{yinyue}。",
            "把{dongxi}加到购物清单里。",
            "{shijian}给{ren}打电话。",
            "发消息告诉{ren}{xiaoxi}。",
            "帮我在{chengshi}找一家便宜的酒店。",
            "设一个{shichang}的计时器。",
            "{naozhong}叫我起床。",
            "把{fangjian}的灯{kaiguan}。",
            "把{fangjian}的空调调到{wendu}度。",
            "把{duanyu}翻译成{yuyan}。",
            "别让我忘了{tian}{shiqing}。",
            "帮我订一张{tian}{renshu}的桌子。",
        ),
        "statement": (
            "我{tian}要去{chengshi}。",
            "我去{chengshi}的航班{shijian}起飞。",
            "我{tian}想做{cai}。",
            "我从{congshi}开始{zhengzhuang}。",
            "{fangjian}的{shebei}坏了。",
            "{ren}{tian}来看我们。",
            "我今天觉得有点{ganjue}。",
            "家里的{dongxi}用完了。",
            "我{tian}要去{yuyue}。",
            "{ren}住在{chengshi}。",
            "{ren}的生日在{yue}。",
        ),
    },
    slots={
        "chengshi": (
            "北京", "上海", "广州", "深圳", "成都", "杭州", "西安", "南京", "武汉", "重庆",
            "厦门", "青岛", "昆明", "天津", "苏州", "长沙", "哈尔滨", "东京", "巴黎", "伦敦",
        ),
        "chufadi": ("纽约", "法兰克福", "新加坡", "迪拜", "悉尼", "洛杉矶", "伊斯坦布尔", "香港"),
        "tian": (
            "今天", "明天", "这个周末", "星期一", "星期五", "今天晚上", "今天下午", "下个星期",
            "后天", "明天早上",
        ),
        "shijian": (
            "七点", "八点半", "中午十二点", "今天晚上", "明天早上", "十分钟以后", "半个小时以后",
            "吃完午饭以后", "星期天", "三点一刻",
        ),
        "yue": (
            "一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月",
            "十一月", "十二月",
        ),
        "renshu": ("两个人", "三个人", "四个人", "五个人", "六个人", "八个人"),
        "naozhong": (
            "明天早上六点", "六点半", "明天七点", "早上五点", "一个小时以后", "二十分钟以后",
            "星期天八点", "六点四十五",
        ),
        "shiwu": (
            "鸡蛋", "土豆", "西兰花", "玉米", "饺子", "面条", "红薯", "排骨", "汤圆", "粽子",
            "意大利面", "虾",
        ),
        "cai": (
            "红烧肉", "宫保鸡丁", "西红柿炒鸡蛋", "麻婆豆腐", "酸辣汤", "鱼香肉丝", "糖醋排骨",
            "回锅肉", "蛋炒饭", "可乐鸡翅", "凉拌黄瓜", "番茄牛腩", "葱油饼", "红烧鱼",
            "蒸鸡蛋羹",
        ),
        "jianzhu": (
            "埃菲尔铁塔", "罗马斗兽场", "长城", "自由女神像", "大本钟", "圣家堂", "泰姬陵",
            "悉尼歌剧院", "比萨斜塔", "金门大桥", "东方明珠", "天坛",
        ),
        "dongwu": (
            "猫", "狗", "大象", "乌龟", "马", "鹦鹉", "金鱼", "兔子", "鲸鱼", "猫头鹰", "蜜蜂",
            "企鹅", "狮子", "骆驼", "青蛙", "熊猫",
        ),
        "guojia": (
            "加拿大", "澳大利亚", "巴西", "日本", "肯尼亚", "挪威", "秘鲁", "越南", "印度尼西亚",
            "德国", "西班牙", "埃及", "土耳其", "智利", "泰国", "波兰", "摩洛哥", "阿根廷",
            "新西兰", "葡萄牙",
        ),
        "duanyu": (
            "谢谢", "早上好", "火车站在哪里", "我饿了", "明天见", "这个多少钱", "生日快乐",
            "对不起", "晚安", "我爱你",
        ),
        "yuyan": (
            "法语", "德语", "英语", "西班牙语", "越南语", "印尼语", "日语", "意大利语", "韩语",
            "葡萄牙语",
        ),
        "dongxi": (
            "牛奶", "鸡蛋", "面包", "香蕉", "咖啡", "牙膏", "橄榄油", "大米", "黄油", "苹果",
            "洗洁精", "奶酪", "西红柿", "洋葱", "橙汁", "卫生纸", "酸奶", "燕麦奶", "电池",
            "洗衣液",
        ),
        "ren": (
            "我妈妈", "我爸爸", "我姐姐", "我哥哥", "我奶奶", "我爷爷", "我阿姨", "我叔叔",
            "我女儿", "我儿子", "我侄女", "我外甥", "我最好的朋友", "我表妹",
        ),
        "zhengzhuang": (
            "头疼", "嗓子疼", "咳嗽", "腰疼", "感冒", "花粉过敏", "肚子疼", "发烧", "失眠",
            "腿抽筋", "流鼻涕", "胃不舒服",
        ),
        "congshi": ("昨天", "今天早上", "前天", "上个星期", "星期一", "周末"),
        "banci": (
            "下一班火车", "下一班公交车", "下一个航班", "下一班轮渡", "最后一班火车",
            "第一班公交车",
        ),
        "shiqing": (
            "给姐姐打电话", "给花浇水", "买牛奶", "吃药", "交房租", "接孩子", "发报告",
            "预约牙医", "喂猫", "遛狗", "给车加油", "倒垃圾", "办护照", "给手机充电",
            "还图书馆的书",
        ),
        "yinyue": (
            "一些爵士乐", "轻松的钢琴曲", "最新的流行歌曲", "古典音乐", "周杰伦的歌",
            "九十年代的老歌", "摇滚乐", "一个历史播客", "跑步的音乐", "下雨的声音",
            "我的健身歌单", "邓丽君的歌",
        ),
        "xiaoxi": (
            "我会晚点到", "饭已经做好了", "我在回家的路上", "路上堵车了", "火车晚点了",
            "我今天要加班", "明天我们出去吃饭", "我忘带钥匙了",
        ),
        "shichang": (
            "五分钟", "十分钟", "二十分钟", "半小时", "一个小时", "四十五秒", "三分钟",
            "十五分钟", "两个小时", "九十秒",
        ),
        "kaiguan": ("打开", "关掉"),
        "fangjian": ("厨房", "客厅", "卧室", "浴室", "走廊", "车库", "书房", "儿童房"),
        "wendu": ("二十", "二十一", "二十二", "二十三", "二十四", "二十五", "二十六"),
        "shebei": ("冰箱", "暖气", "灯", "洗衣机", "电视", "无线网", "空调", "打印机"),
        "ganjue": ("累", "不舒服", "紧张", "烦", "饿", "困", "冷", "难过"),
        "yuyue": ("看牙医", "看医生", "检查眼睛", "理发", "做体检"),
    },
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Indonesian
# --------------------------------------------------------------------------------------------
ID = Bank(
    templates={
        "question": (
            "Bagaimana cuaca di {kota} {hari}?",
            "Apakah {hari} di {kota} akan hujan?",
            "Apakah saya perlu membawa payung {hari}?",
            "Berapa lama merebus {bahan}?",
            "Apa saja bahan untuk membuat {masakan}?",
            "Berapa meter tinggi {bangunan}?",
            "Kapan {bangunan} mulai dibangun?",
            "Berapa lama {hewan} bisa hidup?",
            "{hewan} biasanya makan apa?",
            "Apa ibu kota {negara}?",
            "Berapa jumlah penduduk {negara}?",
            "Bagaimana mengucapkan {frasa} dalam bahasa {bahasa}?",
            "Di mana saya bisa membeli {barang} di dekat sini?",
            "Hadiah apa yang cocok untuk {orang}?",
            "Apa obat yang bagus untuk {gejala}?",
            "Jam berapa {kendaraan} ke {kota} berangkat?",
            "Berapa lama penerbangan dari {asal} ke {kota}?",
            "Apakah {kota} dingin pada bulan {bulan}?",
            "Seberapa jauh {asal} dari {kota}?",
        ),
        "request": (
            "Ingatkan saya untuk {tugas} {waktu}.",
            "Tolong beri saya resep {masakan}.",
            "Putar {musik} di {ruang}.",
            "Tambahkan {barang} ke daftar belanja.",
            "Telepon {orang} {waktu}.",
            "Kirim pesan ke {orang} bahwa {pesan}.",
            "Carikan hotel murah di {kota}.",
            "Pasang pengatur waktu selama {durasi}.",
            "Bangunkan saya {jam_bangun}.",
            "{nyala} lampu di {ruang}.",
            "Atur AC di {ruang} ke {suhu} derajat.",
            "Terjemahkan {frasa} ke bahasa {bahasa}.",
            "Jangan biarkan saya lupa {tugas} {hari}.",
            "Pesan meja untuk {jumlah} orang {hari}.",
        ),
        "statement": (
            "Saya akan pergi ke {kota} {hari}.",
            "Pesawat saya ke {kota} berangkat {waktu}.",
            "Saya mau membuat {masakan} {hari}.",
            "Saya mengalami {gejala} sejak {sejak}.",
            "{alat} di {ruang} rusak.",
            "{orang} akan datang berkunjung {hari}.",
            "Hari ini saya merasa {perasaan}.",
            "Persediaan {barang} di rumah sudah habis.",
            "Saya ada janji {janji} {hari}.",
            "{orang} tinggal di {kota}.",
            "Ulang tahun {orang} jatuh pada bulan {bulan}.",
        ),
    },
    slots={
        "kota": (
            "Jakarta", "Surabaya", "Bandung", "Medan", "Semarang", "Makassar", "Palembang",
            "Denpasar", "Yogyakarta", "Malang", "Manado", "Padang", "Pontianak", "Balikpapan",
            "Bogor", "Singapura", "Kuala Lumpur", "Tokyo", "Bangkok", "Seoul",
        ),
        "asal": (
            "New York", "Frankfurt", "Sydney", "Dubai", "London", "Los Angeles", "Istanbul",
            "Hong Kong",
        ),
        "hari": (
            "hari ini", "besok", "akhir pekan ini", "hari Senin", "hari Jumat", "nanti malam",
            "sore ini", "minggu depan", "lusa", "besok pagi",
        ),
        "waktu": (
            "jam tujuh", "jam setengah sembilan", "jam dua belas siang", "nanti malam",
            "besok pagi", "sepuluh menit lagi", "setengah jam lagi", "setelah makan siang",
            "hari Minggu", "jam tiga lewat seperempat",
        ),
        "bulan": (
            "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
            "September", "Oktober", "November", "Desember",
        ),
        "jumlah": ("dua", "tiga", "empat", "lima", "enam", "delapan"),
        "jam_bangun": (
            "jam enam", "jam setengah tujuh", "besok jam tujuh", "jam tujuh kurang seperempat",
            "satu jam lagi", "dua puluh menit lagi", "jam lima pagi", "hari Minggu jam delapan",
        ),
        "bahan": (
            "telur", "kentang", "brokoli", "jagung", "mi", "pasta", "wortel", "ayam", "udang",
            "kacang hijau", "singkong", "ubi jalar",
        ),
        "masakan": (
            "nasi goreng", "rendang", "soto ayam", "sate ayam", "gado-gado", "bakso",
            "mi goreng", "opor ayam", "sayur asam", "pisang goreng", "martabak manis",
            "ayam geprek", "pempek", "nasi uduk", "klepon",
        ),
        "bangunan": (
            "Menara Eiffel", "Colosseum", "Tembok Besar Tiongkok", "Patung Liberty", "Big Ben",
            "Sagrada Familia", "Taj Mahal", "Gedung Opera Sydney", "Menara Pisa",
            "Jembatan Golden Gate", "Candi Borobudur", "Monas",
        ),
        "hewan": (
            "kucing", "anjing", "gajah", "kura-kura", "kuda", "burung beo", "ikan mas",
            "kelinci", "paus", "burung hantu", "lebah", "penguin", "singa", "unta", "katak",
            "komodo",
        ),
        "negara": (
            "Kanada", "Australia", "Brasil", "Jepang", "Kenya", "Norwegia", "Peru", "Vietnam",
            "Jerman", "Spanyol", "Mesir", "Turki", "Cile", "Thailand", "Polandia", "Maroko",
            "Argentina", "Selandia Baru", "Portugal", "Korea Selatan",
        ),
        "frasa": (
            "terima kasih", "selamat pagi", "di mana stasiun", "saya lapar",
            "sampai jumpa besok", "berapa harganya", "selamat ulang tahun", "permisi",
            "selamat malam", "aku cinta kamu",
        ),
        "bahasa": (
            "Prancis", "Jerman", "Inggris", "Spanyol", "Vietnam", "Mandarin", "Jepang",
            "Italia", "Korea", "Portugis",
        ),
        "barang": (
            "susu", "telur", "roti", "pisang", "kopi", "pasta gigi", "minyak zaitun", "beras",
            "mentega", "apel", "sabun cuci piring", "keju", "tomat", "bawang bombai",
            "jus jeruk", "tisu toilet", "yoghurt", "susu oat", "baterai", "deterjen",
        ),
        "orang": (
            "ibu saya", "ayah saya", "kakak perempuan saya", "kakak laki-laki saya",
            "nenek saya", "kakek saya", "tante saya", "om saya", "anak perempuan saya",
            "anak laki-laki saya", "keponakan saya", "adik saya", "sahabat saya", "sepupu saya",
        ),
        "gejala": (
            "sakit kepala", "sakit tenggorokan", "batuk", "sakit punggung", "pilek", "demam",
            "sakit perut", "susah tidur", "kram otot", "hidung tersumbat", "mual",
            "gatal-gatal",
        ),
        "sejak": (
            "kemarin", "tadi pagi", "dua hari yang lalu", "minggu lalu", "hari Senin",
            "akhir pekan",
        ),
        "kendaraan": (
            "kereta berikutnya", "bus berikutnya", "penerbangan berikutnya",
            "kapal feri berikutnya", "kereta terakhir", "bus pertama",
        ),
        "tugas": (
            "menelepon kakak", "menyiram tanaman", "membeli susu", "minum obat",
            "membayar sewa", "menjemput anak-anak", "mengirim laporan",
            "membuat janji dengan dokter gigi", "memberi makan kucing",
            "mengajak anjing jalan-jalan", "mengisi bensin", "membuang sampah",
            "memperpanjang paspor", "mengisi daya ponsel", "mengembalikan buku perpustakaan",
        ),
        "musik": (
            "musik jazz", "musik piano yang santai", "lagu-lagu terbaru", "musik klasik",
            "lagu dangdut", "lagu tahun sembilan puluhan", "musik rock",
            "podcast tentang sejarah", "musik untuk lari", "suara hujan",
            "daftar putar olahraga saya", "lagu-lagu keroncong",
        ),
        "pesan": (
            "saya akan terlambat", "makan malam sudah siap", "saya sedang di jalan pulang",
            "jalanan macet", "keretanya terlambat", "hari ini saya lembur",
            "besok kita makan di luar", "saya lupa membawa kunci",
        ),
        "durasi": (
            "lima menit", "sepuluh menit", "dua puluh menit", "setengah jam", "satu jam",
            "empat puluh lima detik", "tiga menit", "lima belas menit", "dua jam",
            "sembilan puluh detik",
        ),
        "nyala": ("nyalakan", "matikan"),
        "ruang": (
            "dapur", "ruang tamu", "kamar tidur", "kamar mandi", "lorong", "garasi",
            "ruang kerja", "kamar anak-anak",
        ),
        "suhu": (
            "dua puluh", "dua puluh satu", "dua puluh dua", "dua puluh tiga", "dua puluh empat",
            "dua puluh lima", "dua puluh enam",
        ),
        "alat": (
            "kulkas", "pemanas air", "lampu", "mesin cuci", "televisi", "wifi", "AC", "printer",
        ),
        "perasaan": (
            "lelah", "kurang enak badan", "senang sekali", "stres", "bahagia", "gugup",
            "capek sekali", "sehat",
        ),
        "janji": (
            "dengan dokter gigi", "dengan dokter", "periksa mata", "potong rambut",
            "wawancara kerja",
        ),
    },
)  # fmt: skip

BANKS: dict[str, Bank] = {"en": EN, "de": DE, "es": ES, "vi": VI, "zh": ZH, "id": ID}


def slot_names(template: str) -> list[str]:
    """The {slot} fields of a template, in order."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def get_bank(lang: str) -> Bank:
    if lang not in BANKS:
        raise ValueError(f"no sentence bank for language {lang!r}; known: {', '.join(LANGS)}")
    return BANKS[lang]


def templates(lang: str) -> list[tuple[str, str]]:
    """(kind, template) pairs of a language, in bank order."""
    bank = get_bank(lang)
    return [(kind, t) for kind in KINDS for t in bank.templates.get(kind, ())]


def template_capacity(bank: Bank, template: str) -> int:
    return math.prod(len(bank.slots[s]) for s in slot_names(template))


def capacity(lang: str) -> int:
    """How many sentences the bank can produce (filled templates; all distinct in practice)."""
    bank = get_bank(lang)
    return sum(template_capacity(bank, t) for _, t in templates(lang))


def upper_first(text: str) -> str:
    """Capitalise the first letter (after any opening mark such as '¿'); leave the rest."""
    for i, c in enumerate(text):
        if c.isalpha():
            return text[:i] + c.upper() + text[i + 1 :]
    return text


def fill(bank: Bank, template: str, index: int) -> str:
    """The index-th filling of a template: index is a mixed-radix number over its slots."""
    values = {}
    for name in reversed(slot_names(template)):
        fillers = bank.slots[name]
        index, k = divmod(index, len(fillers))
        values[name] = fillers[k]
    return upper_first(template.format(**values))


def shuffled_range(size: int, rng: random.Random) -> Iterator[int]:
    """All of range(size) in random order, without materialising it while few are drawn.

    Rejection sampling until half are drawn (at most two tries per draw on average), then
    the rest shuffled.
    """
    seen = set()
    while len(seen) < size // 2:
        i = rng.randrange(size)
        if i not in seen:
            seen.add(i)
            yield i
    rest = [i for i in range(size) if i not in seen]
    rng.shuffle(rest)
    yield from rest


def template_stream(bank: Bank, template: str, rng: random.Random) -> Iterator[str]:
    """Every filling of one template, in random order."""
    for index in shuffled_range(template_capacity(bank, template), rng):
        yield fill(bank, template, index)


def generate_sentences(
    lang: str, n: int, seed: int = 0, exclude: Collection[str] = ()
) -> list[str]:
    """n distinct sentences in ``lang``, none in ``exclude``; the same list for the same seed.

    Templates are taken round-robin in a fresh random order each round, so a small n still
    mixes questions, requests and statements. With the same seed, a call that excludes the
    result of an earlier call continues where that one stopped.
    """
    bank = get_bank(lang)
    total = capacity(lang)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n > total:
        raise ValueError(f"{lang}: asked for {n} sentences, the bank can produce only {total}")
    rng = random.Random(f"sentences:{lang}:{seed}")  # str seeds are hashed stably
    streams = {t: template_stream(bank, t, rng) for _, t in templates(lang)}
    excluded = set(exclude)
    out: list[str] = []
    seen = set()
    while len(out) < n and streams:
        order = list(streams)
        rng.shuffle(order)
        for t in order:
            sentence = next(streams[t], None)
            if sentence is None:
                del streams[t]
            elif sentence not in seen and sentence not in excluded:
                seen.add(sentence)
                out.append(sentence)
                if len(out) == n:
                    break
    if len(out) < n:
        raise ValueError(
            f"{lang}: asked for {n} sentences, only {len(out)} are left after excluding "
            f"{len(excluded)} (bank capacity {total})"
        )
    return out
