"""The curated catalogue of variables a criterion can constrain.

Each variable has one canonical unit; extracted values are converted to it (see
``units.py``). The table below reads: ``id | label | kind | canonical unit | extras``,
then the aliases (phrase syntax of ``lexicon.py``, separated by ``;``) on indented lines.
Extras: ``mw`` molar mass in g/mol (drives the analyte-specific mg/dL <-> umol/L
conversions), ``valence`` (mEq/L -> mmol/L), ``range`` the values in canonical units a
real criterion can plausibly name (a reading outside it is dropped), ``ctp`` the Facebook
Clinical-Trial-Parser variables this one covers (the coverage check in
``bench/criteria_eval.py``). Kind ``count`` variables yield constraints only with a
number attached ("≤ 5 liver metastases"), since the same words also name a condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, cast

from .lexicon import Lexicon

VariableKind = Literal["numeric", "ordinal", "count"]


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    label: str
    kind: VariableKind
    #: canonical unit label, or None for unitless scores and ratios
    unit: str | None
    aliases: tuple[str, ...]
    molar_mass: float | None = None
    valence: int = 1
    plausible: tuple[float, float] | None = None
    ctp: tuple[str, ...] = ()


_TABLE = """
# -- demographics and general
age | Age | numeric | year | range=0..120 ctp=age
    age; aged; ages; minimum age; maximum age; min age; max age
weight | Body weight | numeric | kg | range=1..400 ctp=weight
    body weight; weight; weigh{s|}; weighing
height | Height | numeric | cm | range=30..250 ctp=height
    height
bmi | Body mass index | numeric | kg/m^2 | range=10..80 ctp=bmi
    bmi; body mass index; body mass index (bmi); =BMI
life_expectancy | Life expectancy | numeric | month | range=0..600 ctp=life_expectancy
    life expectancy; expected survival; expected survival period; expected survival time;
    estimated survival; survival expectancy; expected lifetime; predicted survival;
    anticipated survival; estimated life expectancy
temperature | Body temperature | numeric | degC | range=30..45 ctp=body_temperature
    body temperature; temperature; axillary temperature; fever
heart_rate | Heart rate | numeric | bpm | range=20..250 ctp=heart_rate
    heart rate; pulse rate; resting heart rate; =HR
respiratory_rate | Respiratory rate | numeric | /min | ctp=respiratory_rate
    respiratory rate; respiratory frequency
spo2 | Oxygen saturation | numeric | % | range=50..100 ctp=spo2
    spo2; sp o2; oxygen saturation; =SaO2; peripheral oxygen saturation
gestational_age | Gestational age | numeric | week | range=20..45
    gestational age; gestation; weeks of gestation; weeks gestation; gestational week{s|};
    weeks' gestation
waist_circumference | Waist circumference | numeric | cm | range=40..200 ctp=waist_circumference
    waist circumference; waist
fev1 | FEV1 | numeric | % | range=5..150
    fev1; =FEV1; forced expiratory volume in 1 second; forced expiratory volume in one second;
    fev1 % predicted; fev1% predicted
# -- performance status
ecog | ECOG performance status | ordinal | - | range=0..5 ctp=ecog
    ecog; ecog ps; ecog performance status; ecog performance score; ecog score; ecog
    physical condition score; eastern cooperative oncology group; eastern cooperative
    oncology group (ecog); eastern cooperative oncology group performance status; eastern
    cooperative oncology group (ecog) performance status; zubrod; zubrod performance status;
    physical condition score (ecog); physical condition score; performance status (ps);
    performance status; =PS
who_ps | WHO performance status | ordinal | - | range=0..5
    who performance status; who ps; who performance score; world health organization
    performance status; who/ecog performance status
karnofsky | Karnofsky performance status | numeric | % | range=0..100 ctp=karnofsky_score
    karnofsky; karnofsky performance status; karnofsky performance score; karnofsky score;
    karnofsky index; kps; karnofsky performance scale; karnofsky performance status (kps)
lansky | Lansky play-performance | numeric | % | range=0..100
    lansky; lansky score; lansky play performance score; lansky performance status
# -- blood counts
anc | Absolute neutrophil count | numeric | 10^9/L | range=0.1..50 ctp=anc
    anc; absolute neutrophil count; absolute neutrophil count (anc); absolute neutrophils;
    absolute neutrophil; neutrophil count; neutrophils; neutrophil; neutrophile
    granulocytes; absolute granulocyte count; granulocytes; agc; =NEUT; neutrophil
    granulocytes; neutrophil absolute count
wbc | White blood cell count | numeric | 10^9/L | range=0.5..200 ctp=wbc
    wbc; white blood cell count; white blood cells; white blood cell; white cell count;
    white blood count; leukocytes; leukocyte count; leucocytes; leucocyte count; =WBC count;
    total white blood cell count; white blood cell (wbc) count; white blood cell count (wbc)
lymphocytes | Lymphocyte count | numeric | 10^9/L | range=0.05..200
    lymphocytes; lymphocyte count; absolute lymphocyte count; alc; lymphocyte
platelets | Platelet count | numeric | 10^9/L | range=5..2000 ctp=platelet_count
    platelets; platelet count; platelet; plt; =PLT; thrombocytes; thrombocyte count;
    platelet count (plt); platelets count; blood platelets; =PLC
hemoglobin | Hemoglobin | numeric | g/L | mw=16114.5 range=30..250 ctp=hb_count
    hemoglobin; haemoglobin; hb; =HB; hgb; =HGB; hemoglobin (hb); hemoglobin (hgb);
    haemoglobin (hb); hemoglobin level; hemoglobin concentration; serum hemoglobin; blood
    hemoglobin
hematocrit | Hematocrit | numeric | % | range=10..70
    hematocrit; haematocrit; =Hct; =HCT
# -- liver and coagulation
total_bilirubin | Bilirubin | numeric | umol/L | mw=584.66 range=1..1000 ctp=total_bilirubin_level
    total bilirubin; bilirubin; serum bilirubin; total serum bilirubin; serum total
    bilirubin; =TBIL; =TBil; =TBI; =T-bil; =T-Bil; total bilirubin (tbil); bilirubin
    total; total bilirubin level; =STB
direct_bilirubin | Direct bilirubin | numeric | umol/L | mw=584.66 range=0.5..1000
    direct bilirubin; conjugated bilirubin; =DBIL; =DBil; =D-bil
alt | ALT | numeric | U/L | range=1..2000 ctp=alt
    alt; =ALT; sgpt; alanine aminotransferase; alanine transaminase; alanine
    aminotransferase (alt); =ALAT; =GPT; serum alt; alt (sgpt); sgpt (alt)
ast | AST | numeric | U/L | range=1..2000 ctp=ast,ast/alt
    ast; =AST; sgot; aspartate aminotransferase; aspartate transaminase; aspartate
    aminotransferase (ast); =ASAT; =GOT; serum ast; ast (sgot); sgot (ast)
alp | Alkaline phosphatase | numeric | U/L | range=1..5000
    alp; alkaline phosphatase; =AKP; alkaline phosphatase (alp); serum alkaline phosphatase
ggt | Gamma-glutamyl transferase | numeric | U/L | -
    ggt; gamma gt; gamma-glutamyl transferase; gamma glutamyl transpeptidase; =GGT
albumin | Albumin | numeric | g/L | range=5..80 ctp=bal
    albumin; serum albumin; =ALB; =Alb; albumin level; plasma albumin
inr | INR | numeric | - | range=0.5..10 ctp=inr
    inr; =INR; international normalized ratio; international normalised ratio; pt-inr;
    pt/inr; international normalized ratio (inr)
aptt | aPTT | numeric | s | range=10..200
    aptt; =APTT; ptt; =PTT; activated partial thromboplastin time; partial thromboplastin
    time; activated partial thromboplastin time (aptt)
prothrombin_time | Prothrombin time | numeric | s | range=5..100
    prothrombin time; prothrombin time (pt); =PT
# -- kidney
creatinine | Serum creatinine | numeric | umol/L | mw=113.12 range=10..2000 ctp=creatinine_level
    creatinine; serum creatinine; =Cr; =CR; =SCr; =sCr; =Scr; =Crea; serum creatinine (scr);
    serum creatinine (cr); creatinine level; plasma creatinine; s-creatinine; serum
    creatinine level; blood creatinine
crcl | Creatinine clearance | numeric | mL/min | range=5..250 ctp=calculated_creatinine_clearance
    creatinine clearance; plasma creatinine clearance; serum creatinine clearance;
    crcl; =CrCl; =CLcr; =Ccr; =CCr; calculated creatinine clearance;
    estimated creatinine clearance; measured creatinine clearance; creatinine clearance
    (crcl); cockcroft gault; cockcroft-gault creatinine clearance; cr clearance
egfr | eGFR | numeric | mL/min/1.73m^2 | range=5..200 ctp=glomerular_filtration_rate
    egfr; =eGFR; gfr; =GFR; estimated glomerular filtration rate; glomerular filtration
    rate; estimated glomerular filtration rate (egfr); glomerular filtration rate (gfr);
    estimated gfr; mdrd egfr; ckd-epi egfr
bun | Blood urea nitrogen | numeric | mmol/L | mw=28.014
    bun; =BUN; blood urea nitrogen; urea nitrogen; urea; serum urea
uric_acid | Uric acid | numeric | umol/L | mw=168.11
    uric acid; serum uric acid
# -- metabolic and electrolytes
hba1c | HbA1c | numeric | % | range=3..20 ctp=a1c
    hba1c; =HbA1c; a1c; hgba1c; hemoglobin a1c; haemoglobin a1c; glycated hemoglobin;
    glycosylated hemoglobin; glycated haemoglobin; glycosylated haemoglobin; hba1c level; hb
    a1c; glycated hemoglobin (hba1c); glycosylated hemoglobin (hba1c); hemoglobin a1c
    (hba1c); =HbA1C
glucose | Glucose | numeric | mmol/L | mw=180.16 range=1..60 ctp=fasting_blood_sugar_level
    glucose; fasting glucose; fasting plasma glucose; fasting blood glucose; fasting blood
    sugar; blood glucose; blood sugar; plasma glucose; serum glucose; =FPG; =FBG; =FBS;
    fasting plasma glucose (fpg); fasting serum glucose; random blood glucose; random
    glucose
potassium | Potassium | numeric | mmol/L | mw=39.098 range=1..10 ctp=potassium_level
    potassium; serum potassium; =K; =K+; potassium level; hypokalemia; hypokalaemia
sodium | Sodium | numeric | mmol/L | mw=22.99 range=90..200
    sodium; serum sodium; =Na; =Na+; sodium level
calcium | Calcium | numeric | mmol/L | mw=40.078 valence=2 range=0.5..5 ctp=calcium_level
    calcium; serum calcium; corrected calcium; =Ca; =Ca2+; =Ca++; albumin-corrected calcium;
    corrected serum calcium; ionized calcium
magnesium | Magnesium | numeric | mmol/L | mw=24.305 valence=2 range=0.1..5 ctp=magnesium_level
    magnesium; serum magnesium; =Mg; =Mg2+; =Mg++
phosphate | Phosphate | numeric | mmol/L | mw=30.974
    phosphate; phosphorus; serum phosphate; serum phosphorus
total_cholesterol | Total cholesterol | numeric | mmol/L | mw=386.65 ctp=total_cholesterol
    total cholesterol; cholesterol; serum cholesterol; plasma total cholesterol
ldl | LDL cholesterol | numeric | mmol/L | mw=386.65 ctp=ldl_cholesterol
    ldl; ldl-c; ldl cholesterol; low density lipoprotein cholesterol; low-density
    lipoprotein cholesterol; low density lipoprotein; ldl-cholesterol
hdl | HDL cholesterol | numeric | mmol/L | mw=386.65 ctp=hdl_cholesterol
    hdl; hdl-c; hdl cholesterol; high density lipoprotein cholesterol; high-density
    lipoprotein cholesterol; high density lipoprotein
triglycerides | Triglycerides | numeric | mmol/L | mw=885.7 ctp=triglyceride_level
    triglycerides; triglyceride; serum triglycerides; fasting triglycerides; triglyceride
    level; =TG; plasma triglycerides
testosterone | Testosterone | numeric | ng/dL | ctp=testosterone_level
    testosterone; serum testosterone; total testosterone; castrate testosterone level; serum
    total testosterone
ferritin | Ferritin | numeric | ng/mL | ctp=ferritin_level
    ferritin; serum ferritin
d_dimer | D-dimer | numeric | mg/L | ctp=d_dimer_level
    d-dimer; d dimer; =DD
troponin | Troponin | numeric | ng/L | ctp=troponin_level
    troponin; troponin i; troponin t; hs-troponin; high-sensitivity troponin; serum troponin
eosinophils | Eosinophil count | numeric | 10^9/L | range=0.01..50 ctp=aec
    absolute eosinophil count; eosinophil count; eosinophils; =AEC; blood eosinophils;
    blood eosinophil count
fructosamine | Fructosamine | numeric | umol/L | ctp=fructosamine
    fructosamine; serum fructosamine
non_hdl | Non-HDL cholesterol | numeric | mmol/L | mw=386.65 ctp=non_hdl_cholesterol
    non-hdl cholesterol; non-hdl-c; non hdl cholesterol; non-high-density lipoprotein
    cholesterol
pao2 | Arterial oxygen pressure | numeric | mmHg | ctp=po2
    pao2; po2; partial pressure of oxygen; arterial oxygen partial pressure
pf_ratio | PaO2/FiO2 | numeric | mmHg | ctp=pf_ratio
    pao2/fio2; p/f ratio; pao2/fio2 ratio; pf ratio
iop | Intraocular pressure | numeric | mmHg | range=2..80 ctp=iop
    intraocular pressure; =IOP
sofa | SOFA score | numeric | - | range=0..24 ctp=sofa
    sofa; sofa score; sequential organ failure assessment; sequential organ failure
    assessment score
# -- cardiac
lvef | LVEF | numeric | % | range=5..90 ctp=lvef
    lvef; left ventricular ejection fraction; ejection fraction; left ventricular ejection
    fraction (lvef); =EF; =LVEF; cardiac ejection fraction; left ventricle ejection
    fraction; ef
qtc | QTc | numeric | ms | range=200..800 ctp=cqt
    qtc; qtcf; qtcb; qtc interval; corrected qt interval; corrected qt; qt interval; qt; qtc
    (fridericia); qt interval corrected; qtcf interval; corrected qt interval (qtc); qtc
    interval (qtcf)
sbp | Systolic blood pressure | numeric | mmHg | range=50..300 ctp=sbp
    systolic blood pressure; systolic bp; =SBP; systolic; systolic pressure; blood pressure
    systolic; sitting systolic blood pressure
dbp | Diastolic blood pressure | numeric | mmHg | range=20..200 ctp=dbp
    diastolic blood pressure; diastolic bp; =DBP; diastolic; diastolic pressure; blood
    pressure diastolic; sitting diastolic blood pressure
blood_pressure | Blood pressure | numeric | mmHg | range=20..300 ctp=sbp/dbp
    blood pressure; =BP; arterial blood pressure; arterial pressure
# -- ordinal classifications
nyha | NYHA class | ordinal | - | range=1..4 ctp=nyha
    nyha; =NYHA; new york heart association; new york heart association (nyha); nyha class;
    nyha classification; new york heart association class; new york heart association
    classification; new york heart association functional class; nyha functional class
asa | ASA physical status | ordinal | - | range=1..6
    =ASA; asa physical status; asa score; asa class; asa grade; asa classification; american
    society of anesthesiologists; american society of anesthesiology; american society of
    anesthesiologists (asa); american society of anesthesiologists physical status; american
    society of anaesthesiologists; asa physical status classification; asa status; american
    society of anesthesiology physical class
child_pugh | Child-Pugh | ordinal | - | range=1..15 ctp=cps
    child pugh; child-pugh; child-pugh class; child-pugh score; child-pugh grade; child pugh
    classification; child-pugh classification; child-turcotte-pugh; childs pugh; child's
    pugh
gleason | Gleason score | ordinal | - | range=2..10 ctp=gleason_score
    gleason; gleason score; gleason grade; gleason sum
mmse | MMSE | numeric | - | range=0..30
    mmse; mini mental state examination; mini-mental state examination; mini mental state
    exam; mini-mental state examination (mmse)
# -- oncology and surgery
psa | PSA | numeric | ng/mL | ctp=psa_level
    psa; prostate specific antigen; prostate-specific antigen; serum psa
ldh | LDH | numeric | U/L | ctp=lactate_dehydrogenase_level
    ldh; lactate dehydrogenase; lactic dehydrogenase
crp | C-reactive protein | numeric | mg/L | ctp=c_reactive_protein_level
    crp; c-reactive protein; c reactive protein; =CRP
cd4 | CD4 count | numeric | /uL | -
    cd4; cd4 count; cd4+ count; cd4 cell count; cd4+ t cell count; cd4 t-cell count
resection_margin | Resection margin | numeric | mm | -
    resection margin; surgical margin; margin; margins; incisal margin; narrowest incisal
    margin; tumor-free margin; surgical margins; resection margins
future_liver_remnant | Future liver remnant | numeric | % | -
    future liver remnant; future liver remnant (flr); =FLR; remnant liver volume; remaining
    liver volume; estimated remaining liver volume; future remnant liver; liver remnant;
    future liver remnant volume; residual liver volume; =FRL
tumor_size | Tumor size | numeric | mm | ctp=tumor_size,lesion_size
    tumor size; tumour size; tumor diameter; tumour diameter; lesion size
# -- counts
liver_metastases_count | Number of liver metastases | count | - | range=0..50
    liver metastas{is|es}; hepatic metastas{is|es}; liver lesions; liver lesion; metastatic
    liver lesions; hepatic lesions; liver mets; colorectal liver metastases; hepatic
    oligometastases; liver tumors; liver tumours; intrahepatic lesions
brain_metastases_count | Number of brain metastases | count | - | range=0..50
    brain metastas{is|es}; brain lesions; brain mets; cerebral metastases; intracranial
    metastases; intracranial lesions
lung_metastases_count | Number of lung metastases | count | - | range=0..50
    lung metastas{is|es}; pulmonary metastas{is|es}; lung lesions; lung nodules; pulmonary
    nodules; pulmonary lesions
bone_metastases_count | Number of bone metastases | count | - | range=0..50
    bone metastas{is|es}; bone lesions; osseous metastases
metastases_count | Number of metastases | count | - | range=0..50
    metastas{is|es}; metastatic lesions; metastatic sites; oligometastases; metastatic
    organs; sites of metastases; organs with metastases
lesion_count | Number of lesions | count | - | range=0..50
    lesion; lesions; measurable lesion; measurable lesions; target lesion; target lesions;
    measurable disease lesion; tumor lesions; tumour lesions; nodules
prior_lines | Prior lines of therapy | count | lines | range=0..20
    prior lines of therapy; lines of therapy; lines of prior therapy; line of therapy; prior
    lines; lines of treatment; line of treatment; lines of systemic therapy; prior regimens;
    prior systemic regimens; regimens; lines of chemotherapy; line of chemotherapy; prior
    therapies; prior systemic therapies; prior treatment regimens; lines of prior systemic
    therapy; previous lines of therapy; previous regimens; lines; line; chemotherapy
    regimens; systemic regimens
"""


def _parse(table: str) -> tuple[Variable, ...]:
    out: list[Variable] = []
    head: list[str] = []
    aliases: list[str] = []

    def flush() -> None:
        if not head:
            return
        vid, label, kind, unit, extras = (part.strip() for part in head)
        fields = dict(e.split("=", 1) for e in extras.split() if "=" in e)
        plausible = None
        if "range" in fields:
            lo, hi = fields["range"].split("..")
            plausible = (float(lo), float(hi))
        out.append(
            Variable(
                id=vid,
                label=label,
                kind=cast(VariableKind, kind),
                unit=None if unit == "-" else unit,
                aliases=tuple(a.strip() for a in " ".join(aliases).split(";") if a.strip()),
                molar_mass=float(fields["mw"]) if "mw" in fields else None,
                valence=int(fields.get("valence", 1)),
                plausible=plausible,
                ctp=tuple(fields["ctp"].split(",")) if "ctp" in fields else (),
            )
        )

    for line in table.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" "):
            aliases.append(line.strip())
            continue
        flush()
        head, aliases = line.split("|"), []
    flush()
    return tuple(out)


VARIABLES: tuple[Variable, ...] = _parse(_TABLE)
BY_ID: dict[str, Variable] = {v.id: v for v in VARIABLES}


@cache
def variable_lexicon() -> Lexicon[str]:
    """Every alias of every variable, longest first (built once, on first use)."""
    return Lexicon((alias, v.id) for v in VARIABLES for alias in v.aliases)
