"""Named concepts an item can mention: conditions, pregnancy and contraception, prior
therapy classes, sex; and the phrases that make an item non-computable.

Each lexicon maps phrases (syntax of ``lexicon.py``) to ``(category, concept)``.
"""

from __future__ import annotations

import re
from functools import cache

from trialscope.criteria.lexicon import Lexicon

_CONDITIONS: dict[str, str] = {
    "brain_metastases": "brain metastas{is|es}; brain mets; cns metastas{is|es}; cerebral "
    "metastas{is|es}; intracranial metastas{is|es}; metastases to the brain; metastatic "
    "disease to the brain; central nervous system metastas{is|es}; brain or meningeal "
    "metastas{is|es}; brain and/or leptomeningeal metastases; brain metastatic disease",
    "leptomeningeal_metastases": "leptomeningeal metastas{is|es}; leptomeningeal disease; "
    "meningeal metastas{is|es}; leptomeningeal carcinomatosis; carcinomatous meningitis; "
    "leptomeningeal involvement",
    "liver_metastases": "liver metastas{is|es}; hepatic metastas{is|es}; colorectal liver "
    "metastas{is|es}; liver mets; metastases to the liver; hepatic oligometastas{is|es}; "
    "liver oligometastas{is|es}; crlm; metastatic liver lesions; liver involvement; hepatic "
    "involvement",
    "lung_metastases": "lung metastas{is|es}; pulmonary metastas{is|es}; lung mets",
    "bone_metastases": "bone metastas{is|es}; osseous metastas{is|es}; skeletal metastas{is|es}",
    "peritoneal_metastases": "peritoneal metastas{is|es}; peritoneal carcinomatosis; "
    "metastatic carcinoma of the peritoneum; peritoneal dissemination; malignant peritoneal "
    "effusion; peritoneal disease",
    "extrahepatic_metastases": "extrahepatic metastas{is|es}; extra-hepatic metastas{is|es}; "
    "extrahepatic disease{s|}; extra-hepatic disease{s|}; extrahepatic spread; metastases outside "
    "the liver; other metastases outside the liver",
    "distant_metastases": "distant metastas{is|es}; distant metastatic disease; "
    "metastatic disease; stage iv",
    "hbv": "hepatitis b; hbv; hbv infection; hepatitis b virus; hbsag; hepatitis b surface "
    "antigen; chronic hepatitis b; active hepatitis b; hbv dna",
    "hcv": "hepatitis c; hcv; hepatitis c virus; hcv infection; hcv rna; chronic hepatitis c; "
    "hepatitis c antibody",
    "hepatitis": "hepatitis; viral hepatitis; active hepatitis; hepatitis b/c; hepatitis b or "
    "c; hepatitis b/c virus infection",
    "hiv": "hiv; human immunodeficiency virus; aids; hiv infection; hiv positive; hiv-positive; "
    "acquired immunodeficiency syndrome; hiv/aids",
    "autoimmune_disease": "autoimmune disease{s|}; autoimmune disorder{s|}; auto-immune "
    "disease{s|}; active autoimmune disease; autoimmune condition{s|}",
    "immunodeficiency": "immunodeficiency; immunodeficiency disease{s|}; immunocompromised; "
    "immune compromised; immunosuppressed; immune deficiency; immunodeficiency state; "
    "immune deficient condition; acquired immunodeficiency",
    # narrower kinds: an inherited defect, and the state a suppressing drug leaves (what a
    # patient on tacrolimus is read as, match.facts)
    "primary_immunodeficiency": "congenital immunodeficiency; primary immunodeficiency; "
    "primary immune deficiency; inherited immunodeficiency; hereditary immunodeficiency; "
    "common variable immunodeficiency; cvid; severe combined immunodeficiency",
    "immunosuppressed": "drug-induced immunosuppression; iatrogenic immunosuppression",
    "interstitial_lung_disease": "interstitial lung disease; ild; pneumonitis; interstitial "
    "pneumonia; pulmonary fibrosis",
    "infection": "infection{s|}; active infection; uncontrolled infection; severe infection; "
    "sepsis; systemic infection",
    "tuberculosis": "tuberculosis; active tuberculosis; tb",
    "other_malignancy": "other malignanc{y|ies}; another malignancy; second malignancy; other "
    "malignant tumo{r|rs|ur|urs}; other primary malignanc{y|ies}; second primary malignancy; "
    "prior malignancy; previous malignancy; other cancers; other cancer; additional "
    "malignancy; concurrent malignancy; malignant tumour of the past; other uncured "
    "malignancies; multiple primary",
    "malignancy": "malignancy; malignancies; cancer; carcinoma; tumor; tumour; neoplasm",
    "colorectal_cancer": "colorectal cancer; colorectal carcinoma; colon cancer; rectal cancer; "
    "colorectal adenocarcinoma; colon adenocarcinoma; colon carcinoma; crc; mcrc; "
    "metastatic colorectal cancer; colorectal carcinoma",
    "pancreatic_cancer": "pancreatic cancer; pancreatic ductal adenocarcinoma; pdac; pancreatic "
    "adenocarcinoma; pancreatic carcinoma",
    "hepatocellular_carcinoma": "hepatocellular carcinoma; hcc; liver cancer; primary liver cancer",
    "breast_cancer": "breast cancer; breast carcinoma; mammary carcinoma",
    "lung_cancer": "lung cancer; nsclc; sclc; non-small cell lung cancer; small cell lung "
    "cancer; lung carcinoma",
    "gastric_cancer": "gastric cancer; stomach cancer; gastric adenocarcinoma",
    "prostate_cancer": "prostate cancer; prostate adenocarcinoma",
    "melanoma": "melanoma",
    "lymphoma": "lymphoma; hodgkin lymphoma; non-hodgkin lymphoma",
    "leukemia": "leukemia; leukaemia",
    "heart_failure": "heart failure; congestive heart failure; chf; cardiac failure; cardiac "
    "insufficiency",
    "myocardial_infarction": "myocardial infarction; heart attack; acute myocardial "
    "infarction; =MI",
    "angina": "angina; unstable angina; unstable angina pectoris; angina pectoris",
    "arrhythmia": "arrhythmia; arrhythmias; cardiac arrhythmia; severe arrhythmia; atrial "
    "fibrillation; ventricular arrhythmia",
    "coronary_artery_disease": "coronary artery disease; coronary heart disease; ischemic "
    "heart disease; cad",
    "heart_disease": "heart disease; cardiovascular disease; cardiac disease",
    "stroke": "stroke; cerebrovascular accident; cva; transient ischemic attack; tia; "
    "cerebrovascular disease",
    "hypertension": "hypertension; uncontrolled hypertension; high blood pressure",
    "diabetes": "diabetes; diabetes mellitus; type 1 diabetes; type 2 diabetes; t2dm; t1dm",
    # a seizure is an event, epilepsy ("seizure disorder") the disease of having them
    "epilepsy": "epilepsy; seizure disorder{s|}; convulsive disorder; epileptic",
    "seizure": "seizure{s|}; convulsion{s|}",
    "psychiatric_disorder": "psychiatric disorder{s|}; psychiatric illness; mental illness; "
    "mental disorder{s|}; psychiatric disease; psychosis; psychiatric history; severe mental "
    "illness; psychiatric condition{s|}",
    "cns_disease": "central nervous system disease; cns disease; neurological disease; "
    "neurological disorder{s|}",
    "substance_abuse": "substance abuse; drug abuse; alcohol abuse; alcoholism; drug addiction; "
    "alcohol or drug addiction{s|}; alcohol addiction; drug addictions; alcohol dependence; "
    "psychotropic substance abuse; substance use disorder",
    "allergy": "allergy; allergies; allergic; hypersensitivity; allergic reaction{s|}",
    "organ_transplant": "organ transplant; organ transplantation; allogeneic transplant; "
    "solid organ transplant; allograft; transplant recipient",
    "bleeding": "bleeding; hemorrhage; haemorrhage; active bleeding; bleeding disorder; "
    "gastrointestinal bleeding",
    "thromboembolism": "thromboembolism; deep vein thrombosis; dvt; pulmonary embolism; "
    "thrombosis; venous thromboembolism; portal vein tumor thrombus; portal vein thrombosis",
    "dic": "disseminated intravascular coagulation; dic; disseminated vascular blood "
    "coagulation; disseminated vascula blood coagulation",
    "pleural_effusion": "pleural effusion",
    "ascites": "ascites",
    "bowel_obstruction": "bowel obstruction; intestinal obstruction; obstruction",
    "perforation": "perforation; gastrointestinal perforation; bowel perforation",
    "renal_impairment": "renal impairment; renal dysfunction; kidney dysfunction; renal "
    "failure; kidney failure; renal insufficiency; kidney disease",
    "hepatic_impairment": "hepatic impairment; liver dysfunction; hepatic dysfunction; liver "
    "failure; hepatic failure; cirrhosis; liver cirrhosis",
    "organ_failure": "organ failure; organ dysfunction",
    "neuropathy": "neuropathy; peripheral neuropathy",
    "covid19": "covid-19; covid 19; sars-cov-2; coronavirus disease",
}

_PREGNANCY: dict[str, str] = {
    "pregnancy": "pregnant; pregnancy; pregnancies; gravid; pregnant women",
    "breastfeeding": "breast-feeding; breastfeeding; breast feeding; lactating; lactation; "
    "nursing; nursing mothers; breast-feeding women; nursing women",
    "contraception": "contraception; contraceptive{s|}; birth control; contraceptive methods; "
    "effective contraception; barrier method; abstinence; intrauterine device; iud",
    "childbearing_potential": "childbearing potential; child-bearing potential; child bearing "
    "potential; wocbp; women of childbearing potential; fertile women",
    "pregnancy_test": "pregnancy test; pregnancy tests; pregnancy testing; serum pregnancy test; "
    "urine pregnancy test; beta-hcg; hcg",
}

# classes and kinds of therapy only: a named drug ("irinotecan", "cetuximab") is read by
# the drug table as itself, so "No prior irinotecan" is not failed by any chemotherapy
_THERAPY: dict[str, str] = {
    "chemotherapy": "chemotherapy; chemo; systemic chemotherapy; cytotoxic chemotherapy; "
    "cytotoxic therapy; induction chemotherapy; adjuvant chemotherapy; neoadjuvant "
    "chemotherapy; chemotherapeutic agent{s|}",
    "immunotherapy": "immunotherapy; immune checkpoint inhibitor{s|}; checkpoint inhibitor{s|}; "
    "antitumoral immunotherapy; anti-tumor immunotherapy; immuno-oncology; car-t; car t",
    "pd1_pdl1": "pd-1; pd-l1; anti-pd-1; anti-pd-l1; pd-1 inhibitor{s|}; pd-l1 inhibitor{s|}; "
    "anti-pd-1/pd-l1; pd-1/pd-l1; pd-1 antibody; anti-pd-1 antibody",
    "ctla4": "ctla-4; anti-ctla-4",
    "radiotherapy": "radiotherapy; radiation therapy; radiation; irradiation; sbrt; "
    "stereotactic body radiation therapy; stereotactic radiotherapy; radiosurgery; "
    "brachytherapy; external beam radiation; whole brain radiotherapy; chemoradiotherapy; "
    "chemoradiation; radioembolization; sirt",
    "surgery": "surgery; surgical resection; resection; operation; hepatectomy; major surgery; "
    "surgical procedure; surgical intervention; operative intervention; pancreatectomy; "
    "colectomy; r0 resection; radical resection",
    "investigational_drug": "investigational drug{s|}; investigational agent{s|}; "
    "investigational product{s|}; investigational therapy; investigational treatment{s|}; "
    "investigational drug treatments; experimental drug{s|}; experimental therapy; "
    "experimental therapies; experimental agent{s|}; another clinical trial; other clinical "
    "trial{s|}; another clinical study; other clinical studies; interventional study; "
    "investigational device",
    "targeted_therapy": "targeted therapy; targeted agent{s|}; tyrosine kinase inhibitor{s|}; "
    "tki; anti-vegf; anti-egfr",
    "hormone_therapy": "hormone therapy; hormonal therapy; endocrine therapy; androgen "
    "deprivation therapy",
    "ablation": "ablation; radiofrequency ablation; rfa; microwave ablation; tace; "
    "transarterial chemoembolization; chemoembolization; hepatic artery chemoembolization",
    "systemic_therapy": "systemic therapy; systemic treatment; anti-tumor therapy; anticancer "
    "therapy; anti-cancer therapy; antitumor therapy; antineoplastic therapy; anti-tumor "
    "treatment",
    "immunosuppressants": "immunosuppressive agents; immunosuppressive therapy; "
    "immunosuppressants; immunosuppressive drugs; immunosuppressive treatment; "
    "immunosuppressive medication{s|}",
    "transplantation": "stem cell transplant; stem cell transplantation; bone marrow "
    "transplant; liver transplantation; liver transplant",
}

_SEX: dict[str, str] = {
    "female": "female{s|}; wom{a|e}n; female patients; female subjects",
    "male": "male{s|}; m{a|e}n; male patients; male subjects",
    "any": "male or female; males and females; both sexes; men and women; both males and "
    "females; male and female; female or male; female and male; either sex; both genders",
}

# Items about the person's will or the investigator's judgement: not computable.
_NON_COMPUTABLE = re.compile(
    r"(?P<consent>informed\s+consent|inform\s+consent|consent\s+form|sign(?:ed|s)?\s+(?:the\s+"
    r"|an\s+|a\s+)?(?:written\s+)?consent|written\s+consent|give\s+consent|provide\s+"
    r"(?:written\s+)?consent|assent)|(?P<compliance>complian(?:ce|t)|comply|willing\s+(?:and\s+"
    r"able\s+)?to|able\s+and\s+willing|unwilling|follow[\s-]?up|cooperate\b|cooperation|adhere\s+to|adherence"
    r"|agree(?:s|d)?\s+not\s+to\s+(?:participate|take\s+part|enrol|enroll|join)|\bvoluntar|return\s+for|scheduled\s+visits|understand(?:ing)?\s+(?:of\s+)?the\s+(?:study|"
    r"conditions|nature)|could\s+not\s+understand|able\s+to\s+(?:read|understand|communicate))"
    r"|(?P<investigator_judgement>(?:in\s+)?the\s+(?:opinion|judge?ment|discretion)\s+of\s+the"
    r"|investigator'?s?'?\s+(?:opinion|judge?ment|discretion)|(?:judged|deemed|considered)\s+"
    r"(?:by\s+the\s+investigator|unsuitable|not\s+suitable|inappropriate)|unsuitable\s+for|not\s+"
    r"suitable\s+for|at\s+the\s+discretion|opinion\s+of\s+the\s+(?:investigator|researcher|"
    r"physician|treating)|researchers?'?\s+opinion|interfere\s+with|inappropriate\s+for)",
    re.IGNORECASE,
)

# every alternative of _NON_COMPUTABLE contains one of these
_STEMS = (
    "consent", "assent", "complian", "comply", "willing", "agree", "follow", "cooperat", "adhere",
    "voluntar", "return for", "visits", "understand", "able to", "opinion", "judg", "discretion",
    "unsuitable", "suitable", "interfere", "inappropriate", "investigator",
)  # fmt: skip

_ALL_FACTS = (
    ("condition", _CONDITIONS),
    ("pregnancy", _PREGNANCY),
    ("prior_therapy", _THERAPY),
    ("sex", _SEX),
)


@cache
def concept_lexicon() -> Lexicon[tuple[str, str]]:
    entries = [
        (phrase.strip(), (category, concept))
        for category, table in _ALL_FACTS
        for concept, phrases in table.items()
        for phrase in phrases.split(";")
        if phrase.strip()
    ]
    return Lexicon(entries)


def non_computable_reason(text: str, start: int, end: int) -> str | None:
    """``consent``, ``compliance`` or ``investigator_judgement`` when the item is about
    one of those, else None."""
    lowered = text[start:end].lower()
    if not any(stem in lowered for stem in _STEMS):
        return None  # the common case, decided by plain substring tests
    m = _NON_COMPUTABLE.search(text, start, end)
    if m is None:
        return None
    return m.lastgroup
