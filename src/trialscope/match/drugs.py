"""Drug and regimen names -> the therapy classes eligibility criteria speak of.

A criterion says "prior platinum-based chemotherapy", "strong CYP3A4 inhibitors" or
"systemic corticosteroids"; a patient record says "cisplatin 75 mg/m2" or "Keytruda".
This table bridges the two. Class ids reuse the criteria concept ids
(``trialscope.criteria.concepts._THERAPY``: ``chemotherapy``, ``pd1_pdl1``, ...) and add
finer ones (``platinum``, ``anticoagulant``, ``cyp3a4_inhibitor``); a finer class implies
its broader ones (:data:`_IMPLIES`), so cisplatin is also ``chemotherapy`` and
``systemic_therapy``.

Table syntax, one drug a line: ``name | classes | aliases`` where aliases are brand
names and other spellings in the phrase syntax of ``criteria/lexicon.py``. A class
starting with ``@`` names a component drug: a regimen gets the union of its components'
classes. CYP3A4 entries list only strong inhibitors / inducers (the ones criteria
exclude). Written for trialscope; not a substitute for a drug-interaction reference.
"""

from __future__ import annotations

from functools import cache

from ..criteria.lexicon import Lexicon

_DRUGS = """
# -- platinum agents
cisplatin | platinum | cis-platinum; cddp; platinol
carboplatin | platinum | paraplatin; cbdca
oxaliplatin | platinum | eloxatin; l-ohp
nedaplatin | platinum |
# -- taxanes
paclitaxel | taxane | taxol; onxol
nab-paclitaxel | taxane | abraxane; nanoparticle albumin-bound paclitaxel; albumin-bound paclitaxel
docetaxel | taxane | taxotere
cabazitaxel | taxane | jevtana
# -- anthracyclines and related
doxorubicin | anthracycline | adriamycin; hydroxydaunorubicin
liposomal doxorubicin | anthracycline | doxil; caelyx; pegylated liposomal doxorubicin; pld
epirubicin | anthracycline | ellence; pharmorubicin
daunorubicin | anthracycline | cerubidine
idarubicin | anthracycline | zavedos; idamycin
mitoxantrone | anthracycline | novantrone
# -- antimetabolites
fluorouracil | fluoropyrimidine | 5-fu; 5fu; 5-fluorouracil; adrucil
capecitabine | fluoropyrimidine | xeloda
tegafur | fluoropyrimidine | tegafur-gimeracil-oteracil; teysuno; uft
trifluridine/tipiracil | fluoropyrimidine | tas-102; lonsurf; trifluridine
gemcitabine | antimetabolite | gemzar
pemetrexed | antimetabolite | alimta
methotrexate | antimetabolite immunosuppressant | mtx; trexall; otrexup
cytarabine | antimetabolite | ara-c; cytosar
fludarabine | antimetabolite | fludara
cladribine | antimetabolite | leustatin
azacitidine | antimetabolite | vidaza
decitabine | antimetabolite | dacogen
hydroxyurea | antimetabolite | hydroxycarbamide; hydrea
leucovorin | folate_rescue | folinic acid; calcium folinate; levoleucovorin
# -- alkylating agents
cyclophosphamide | alkylating_agent | cytoxan; endoxan
ifosfamide | alkylating_agent | ifex
temozolomide | alkylating_agent | temodar; temodal; tmz
dacarbazine | alkylating_agent | dtic
bendamustine | alkylating_agent | treanda; levact
melphalan | alkylating_agent | alkeran
chlorambucil | alkylating_agent | leukeran
busulfan | alkylating_agent | myleran; busulfex
carmustine | alkylating_agent | bcnu; gliadel
lomustine | alkylating_agent | ccnu; gleostine
trabectedin | alkylating_agent | yondelis
mitomycin | alkylating_agent | mitomycin c; mutamycin
# -- topoisomerase inhibitors
irinotecan | topoisomerase_inhibitor | camptosar; cpt-11
liposomal irinotecan | topoisomerase_inhibitor | onivyde; nal-iri
topotecan | topoisomerase_inhibitor | hycamtin
etoposide | topoisomerase_inhibitor | vp-16; vepesid; etopophos
# -- other cytotoxics
vincristine | vinca_alkaloid | oncovin
vinblastine | vinca_alkaloid | velban
vinorelbine | vinca_alkaloid | navelbine
eribulin | microtubule_inhibitor | halaven
bleomycin | cytotoxic_antibiotic | blenoxane
# -- immune checkpoint inhibitors
pembrolizumab | pd1_pdl1 | keytruda; mk-3475
nivolumab | pd1_pdl1 | opdivo; bms-936558
cemiplimab | pd1_pdl1 | libtayo
dostarlimab | pd1_pdl1 | jemperli
sintilimab | pd1_pdl1 | tyvyt
toripalimab | pd1_pdl1 | loqtorzi
camrelizumab | pd1_pdl1 | shr-1210
tislelizumab | pd1_pdl1 | tevimbra
retifanlimab | pd1_pdl1 | zynyz
atezolizumab | pd1_pdl1 | tecentriq; mpdl3280a
durvalumab | pd1_pdl1 | imfinzi; medi4736
avelumab | pd1_pdl1 | bavencio
ipilimumab | ctla4 | yervoy
tremelimumab | ctla4 | imjudo
relatlimab | lag3_inhibitor | opdualag
# -- other immunotherapy
tisagenlecleucel | car_t | kymriah
axicabtagene ciloleucel | car_t | yescarta; axi-cel
blinatumomab | bispecific_antibody | blincyto
interleukin-2 | cytokine_therapy | aldesleukin; proleukin; il-2
interferon alfa | cytokine_therapy | interferon alpha; intron a
bcg | immunotherapy | bacillus calmette-guerin; intravesical bcg
talimogene laherparepvec | oncolytic_virus | t-vec; imlygic
# -- anti-VEGF and angiogenesis
bevacizumab | vegf_inhibitor | avastin; mvasi; zirabev
ramucirumab | vegf_inhibitor | cyramza
aflibercept | vegf_inhibitor | ziv-aflibercept; zaltrap
# -- anti-EGFR antibodies
cetuximab | egfr_inhibitor | erbitux
panitumumab | egfr_inhibitor | vectibix
amivantamab | egfr_inhibitor | rybrevant
# -- anti-HER2
trastuzumab | her2_targeted | herceptin; ogivri; kanjinti
pertuzumab | her2_targeted | perjeta
trastuzumab emtansine | her2_targeted antibody_drug_conjugate | t-dm1; kadcyla;
    ado-trastuzumab emtansine
trastuzumab deruxtecan | her2_targeted antibody_drug_conjugate | t-dxd; enhertu; ds-8201
lapatinib | her2_targeted tki | tykerb; tyverb
tucatinib | her2_targeted tki | tukysa
neratinib | her2_targeted tki | nerlynx
# -- other antibody-drug conjugates and antibodies
sacituzumab govitecan | antibody_drug_conjugate | trodelvy
enfortumab vedotin | antibody_drug_conjugate | padcev
brentuximab vedotin | antibody_drug_conjugate | adcetris
rituximab | anti_cd20 | rituxan; mabthera; truxima
obinutuzumab | anti_cd20 | gazyva
daratumumab | anti_cd38 | darzalex
# -- tyrosine kinase inhibitors
imatinib | tki | gleevec; glivec
dasatinib | tki | sprycel
nilotinib | tki | tasigna
erlotinib | tki egfr_inhibitor | tarceva
gefitinib | tki egfr_inhibitor | iressa
afatinib | tki egfr_inhibitor | gilotrif; giotrif
osimertinib | tki egfr_inhibitor | tagrisso
crizotinib | tki alk_inhibitor | xalkori
alectinib | tki alk_inhibitor | alecensa
brigatinib | tki alk_inhibitor | alunbrig
lorlatinib | tki alk_inhibitor | lorbrena
sunitinib | tki vegf_inhibitor | sutent
sorafenib | tki vegf_inhibitor | nexavar
pazopanib | tki vegf_inhibitor | votrient
axitinib | tki vegf_inhibitor | inlyta
cabozantinib | tki vegf_inhibitor | cabometyx; cometriq
lenvatinib | tki vegf_inhibitor | lenvima
regorafenib | tki vegf_inhibitor | stivarga
fruquintinib | tki vegf_inhibitor | fruzaqla
apatinib | tki vegf_inhibitor | rivoceranib
anlotinib | tki vegf_inhibitor |
vandetanib | tki | caprelsa
ibrutinib | tki btk_inhibitor | imbruvica
acalabrutinib | tki btk_inhibitor | calquence
zanubrutinib | tki btk_inhibitor | brukinsa
ruxolitinib | tki jak_inhibitor | jakafi; jakavi
# -- BRAF / MEK / KRAS and other targeted agents
vemurafenib | braf_inhibitor | zelboraf
dabrafenib | braf_inhibitor | tafinlar
encorafenib | braf_inhibitor | braftovi
trametinib | mek_inhibitor | mekinist
cobimetinib | mek_inhibitor | cotellic
binimetinib | mek_inhibitor | mektovi
sotorasib | kras_inhibitor | lumakras
adagrasib | kras_inhibitor | krazati
everolimus | mtor_inhibitor targeted_therapy immunosuppressant | afinitor; zortress; certican
temsirolimus | mtor_inhibitor targeted_therapy | torisel
alpelisib | pi3k_inhibitor | piqray
venetoclax | bcl2_inhibitor | venclexta
bortezomib | proteasome_inhibitor | velcade
carfilzomib | proteasome_inhibitor | kyprolis
lenalidomide | immunomodulatory_drug | revlimid
pomalidomide | immunomodulatory_drug | pomalyst; imnovid
thalidomide | immunomodulatory_drug | thalomid
# -- CDK4/6 and PARP
palbociclib | cdk46_inhibitor | ibrance
ribociclib | cdk46_inhibitor | kisqali
abemaciclib | cdk46_inhibitor | verzenio
olaparib | parp_inhibitor | lynparza
niraparib | parp_inhibitor | zejula
rucaparib | parp_inhibitor | rubraca
talazoparib | parp_inhibitor | talzenna
# -- hormonal therapy
tamoxifen | serm | nolvadex
raloxifene | serm | evista
letrozole | aromatase_inhibitor | femara
anastrozole | aromatase_inhibitor | arimidex
exemestane | aromatase_inhibitor | aromasin
fulvestrant | serd | faslodex
elacestrant | serd | orserdu
leuprolide | gnrh_analogue | leuprorelin; lupron; eligard
goserelin | gnrh_analogue | zoladex
triptorelin | gnrh_analogue | trelstar; decapeptyl
degarelix | gnrh_analogue | firmagon
abiraterone | antiandrogen | zytiga; abiraterone acetate
enzalutamide | antiandrogen cyp3a4_inducer | xtandi
apalutamide | antiandrogen cyp3a4_inducer | erleada
darolutamide | antiandrogen | nubeqa
bicalutamide | antiandrogen | casodex
megestrol | progestin_therapy | megace; megestrol acetate
# -- radiopharmaceuticals
radium-223 | radiopharmaceutical | xofigo; radium 223
lutetium-177 | radiopharmaceutical | lu-177; 177lu; lutathera; pluvicto; lutetium lu 177
# -- supportive oncology
filgrastim | growth_factor | neupogen; g-csf; granulocyte colony-stimulating factor
pegfilgrastim | growth_factor | neulasta
epoetin alfa | erythropoiesis_stimulating_agent | epogen; procrit; erythropoietin; epo
darbepoetin | erythropoiesis_stimulating_agent | aranesp
zoledronic acid | bone_modifying_agent | zoledronate; zometa; reclast
denosumab | bone_modifying_agent | xgeva; prolia
alendronate | bone_modifying_agent | fosamax; alendronic acid
# -- anticoagulants and antiplatelets
warfarin | vitamin_k_antagonist | coumadin; jantoven
acenocoumarol | vitamin_k_antagonist | sintrom
phenprocoumon | vitamin_k_antagonist | marcumar
apixaban | doac | eliquis
rivaroxaban | doac | xarelto
edoxaban | doac | lixiana; savaysa
dabigatran | doac | pradaxa
heparin | heparin | unfractionated heparin; ufh
enoxaparin | lmwh | lovenox; clexane
dalteparin | lmwh | fragmin
tinzaparin | lmwh | innohep
fondaparinux | anticoagulant | arixtra
aspirin | antiplatelet nsaid | acetylsalicylic acid
clopidogrel | antiplatelet | plavix
ticagrelor | antiplatelet | brilinta
prasugrel | antiplatelet | effient
# -- corticosteroids (systemic)
prednisone | corticosteroid | deltasone
prednisolone | corticosteroid | orapred
methylprednisolone | corticosteroid | medrol; solu-medrol
dexamethasone | corticosteroid | decadron
hydrocortisone | corticosteroid | cortef; solu-cortef
budesonide | corticosteroid_local | pulmicort; entocort; symbicort
fluticasone | corticosteroid_local | flovent; flonase; advair
# -- immunosuppressants and biologics
tacrolimus | immunosuppressant calcineurin_inhibitor | prograf; advagraf; fk506
cyclosporine | immunosuppressant calcineurin_inhibitor | ciclosporin; neoral; sandimmune
mycophenolate | immunosuppressant | mycophenolate mofetil; cellcept; myfortic; mmf
azathioprine | immunosuppressant | imuran
sirolimus | immunosuppressant mtor_inhibitor | rapamune; rapamycin
leflunomide | immunosuppressant | arava
hydroxychloroquine | antimalarial qt_prolonging | plaquenil; hcq
infliximab | tnf_inhibitor | remicade; inflectra
adalimumab | tnf_inhibitor | humira; amjevita
etanercept | tnf_inhibitor | enbrel
certolizumab | tnf_inhibitor | cimzia
golimumab | tnf_inhibitor | simponi
tocilizumab | il6_inhibitor | actemra; roactemra
ustekinumab | biologic immunosuppressant | stelara
vedolizumab | biologic immunosuppressant | entyvio
tofacitinib | jak_inhibitor | xeljanz
baricitinib | jak_inhibitor | olumiant
# -- diabetes
insulin | insulin | insulin glargine; insulin lispro; insulin aspart; insulin detemir;
    insulin degludec; lantus; humalog; novolog; novorapid; levemir; tresiba; basal insulin;
    nph insulin
metformin | biguanide | glucophage
glipizide | sulfonylurea | glucotrol
glimepiride | sulfonylurea | amaryl
gliclazide | sulfonylurea | diamicron
glyburide | sulfonylurea | glibenclamide
sitagliptin | dpp4_inhibitor | januvia; janumet
linagliptin | dpp4_inhibitor | tradjenta
empagliflozin | sglt2_inhibitor | jardiance
dapagliflozin | sglt2_inhibitor | farxiga; forxiga
canagliflozin | sglt2_inhibitor | invokana
semaglutide | glp1_agonist | ozempic; wegovy; rybelsus
liraglutide | glp1_agonist | victoza; saxenda
dulaglutide | glp1_agonist | trulicity
tirzepatide | glp1_agonist | mounjaro; zepbound
pioglitazone | thiazolidinedione | actos
# -- cardiovascular
atorvastatin | statin | lipitor
simvastatin | statin | zocor
rosuvastatin | statin | crestor
pravastatin | statin | pravachol
metoprolol | beta_blocker | lopressor; toprol
atenolol | beta_blocker | tenormin
bisoprolol | beta_blocker | concor
carvedilol | beta_blocker | coreg
propranolol | beta_blocker | inderal
sotalol | beta_blocker antiarrhythmic qt_prolonging | betapace
lisinopril | ace_inhibitor | zestril; prinivil
enalapril | ace_inhibitor | vasotec
ramipril | ace_inhibitor | altace
perindopril | ace_inhibitor | coversyl
losartan | arb | cozaar
valsartan | arb | diovan
candesartan | arb | atacand
amlodipine | calcium_channel_blocker | norvasc
diltiazem | calcium_channel_blocker cyp3a4_inhibitor_moderate | cardizem
verapamil | calcium_channel_blocker cyp3a4_inhibitor_moderate | calan
hydrochlorothiazide | diuretic | hctz
furosemide | diuretic | lasix; frusemide
spironolactone | diuretic | aldactone
amiodarone | antiarrhythmic qt_prolonging | cordarone; pacerone
digoxin | antiarrhythmic | lanoxin
# -- CYP3A4 strong inhibitors (anti-infectives and others)
ketoconazole | cyp3a4_inhibitor antifungal | nizoral
itraconazole | cyp3a4_inhibitor antifungal | sporanox
voriconazole | cyp3a4_inhibitor antifungal qt_prolonging | vfend
posaconazole | cyp3a4_inhibitor antifungal | noxafil
fluconazole | antifungal cyp3a4_inhibitor_moderate qt_prolonging | diflucan
clarithromycin | cyp3a4_inhibitor antibiotic qt_prolonging | biaxin; klacid
erythromycin | cyp3a4_inhibitor_moderate antibiotic qt_prolonging |
azithromycin | antibiotic qt_prolonging | zithromax
ritonavir | cyp3a4_inhibitor antiretroviral | norvir
lopinavir/ritonavir | cyp3a4_inhibitor antiretroviral | kaletra; lopinavir
mitotane | cyp3a4_inducer | lysodren
cobicistat | cyp3a4_inhibitor antiretroviral | tybost
nirmatrelvir/ritonavir | cyp3a4_inhibitor antiviral | paxlovid
grapefruit juice | cyp3a4_inhibitor_moderate | grapefruit
# -- CYP3A4 strong inducers and antiepileptics
rifampicin | cyp3a4_inducer antibiotic | rifampin; rifadin
rifabutin | cyp3a4_inducer_moderate antibiotic | mycobutin
phenytoin | antiepileptic cyp3a4_inducer | dilantin; fosphenytoin
carbamazepine | antiepileptic cyp3a4_inducer | tegretol
phenobarbital | antiepileptic cyp3a4_inducer | phenobarbitone; luminal
oxcarbazepine | antiepileptic | trileptal
valproate | antiepileptic | valproic acid; sodium valproate; depakote; epilim
levetiracetam | antiepileptic | keppra
lamotrigine | antiepileptic | lamictal
gabapentin | antiepileptic | neurontin
pregabalin | antiepileptic | lyrica
st john's wort | cyp3a4_inducer herbal_supplement | st. john's wort; st johns wort; hypericum;
    hypericum perforatum
# -- respiratory
theophylline | methylxanthine | theo-24; uniphyl; aminophylline
salbutamol | bronchodilator | albuterol; ventolin
# -- psychiatric and neurological
fluoxetine | ssri | prozac
sertraline | ssri | zoloft
citalopram | ssri qt_prolonging | celexa
escitalopram | ssri qt_prolonging | lexapro; cipralex
paroxetine | ssri | paxil; seroxat
venlafaxine | snri | effexor
duloxetine | snri | cymbalta
amitriptyline | tricyclic_antidepressant | elavil
phenelzine | maoi | nardil
tranylcypromine | maoi | parnate
selegiline | maoi | eldepryl; emsam
linezolid | antibiotic maoi | zyvox
lithium | mood_stabilizer | lithium carbonate
haloperidol | antipsychotic qt_prolonging | haldol
quetiapine | antipsychotic | seroquel
olanzapine | antipsychotic | zyprexa
# -- opioids and analgesics
morphine | opioid | ms contin
oxycodone | opioid | oxycontin; percocet
hydromorphone | opioid | dilaudid
fentanyl | opioid | duragesic
tramadol | opioid | ultram
methadone | opioid qt_prolonging | dolophine
codeine | opioid |
buprenorphine | opioid | subutex; suboxone
ibuprofen | nsaid | advil; motrin; brufen
naproxen | nsaid | aleve; naprosyn
diclofenac | nsaid | voltaren
celecoxib | nsaid | celebrex
paracetamol | analgesic | acetaminophen; tylenol
# -- other commonly named
omeprazole | ppi | prilosec; losec
pantoprazole | ppi | protonix
esomeprazole | ppi | nexium
ondansetron | antiemetic qt_prolonging | zofran
levothyroxine | thyroid_hormone | synthroid; euthyrox; thyroxine
estradiol | estrogen | estrogen therapy; hormone replacement therapy; hrt
oral contraceptive | hormonal_contraceptive | birth control pill; combined oral contraceptive;
    ethinylestradiol
tenofovir | antiretroviral | viread; truvada; descovy
entecavir | antiviral | baraclude
sofosbuvir | antiviral | sovaldi; harvoni; epclusa
# -- regimens (classes from their components)
folfox | @fluorouracil @leucovorin @oxaliplatin | mfolfox6; mfolfox; folfox4; folfox6; folfox-6
folfiri | @fluorouracil @leucovorin @irinotecan |
folfirinox | @fluorouracil @leucovorin @irinotecan @oxaliplatin | mfolfirinox; folfoxiri
capox | @capecitabine @oxaliplatin | xelox
xeliri | @capecitabine @irinotecan | capiri
ac | @doxorubicin @cyclophosphamide | =AC
ac-t | @doxorubicin @cyclophosphamide @paclitaxel | =AC-T; =AC-P
ec | @epirubicin @cyclophosphamide | =EC
fec | @fluorouracil @epirubicin @cyclophosphamide | =FEC
tch | @docetaxel @carboplatin @trastuzumab | =TCH; =TCHP
chop | @cyclophosphamide @doxorubicin @vincristine @prednisone | =CHOP
r-chop | @rituximab @cyclophosphamide @doxorubicin @vincristine @prednisone | =R-CHOP; rchop
abvd | @doxorubicin @bleomycin @vinblastine @dacarbazine | =ABVD
beacopp | @bleomycin @etoposide @doxorubicin @cyclophosphamide @vincristine | =BEACOPP
gemcis | @gemcitabine @cisplatin | gem-cis; gemcitabine-cisplatin; gc regimen
ecf | @epirubicin @cisplatin @fluorouracil | =ECF; =ECX; =EOX
flot | @fluorouracil @leucovorin @oxaliplatin @docetaxel | =FLOT
cmf | @cyclophosphamide @methotrexate @fluorouracil | =CMF
bep | @bleomycin @etoposide @cisplatin | =BEP
"""

# generic words for a class, so "prior chemotherapy" or "anticoagulants" are found too
_GENERIC = """
chemotherapy | chemotherapy | chemo; chemotherapies; cytotoxic chemotherapy; systemic chemotherapy
platinum-based chemotherapy | platinum | platinum; platinum-based; platinum doublet;
    platinum-containing chemotherapy
taxane | taxane | taxanes; taxane-based chemotherapy
anthracycline | anthracycline | anthracyclines; anthracycline-based chemotherapy
fluoropyrimidine | fluoropyrimidine | fluoropyrimidines
immunotherapy | immunotherapy | immune checkpoint inhibitor{s|}; checkpoint inhibitor{s|};
    immune checkpoint blockade
anti-pd-1 | pd1_pdl1 | pd-1 inhibitor{s|}; pd-l1 inhibitor{s|}; anti-pd-l1; anti-pd-1/pd-l1;
    pd-1/pd-l1 inhibitor{s|}
anti-ctla-4 | ctla4 | ctla-4 inhibitor{s|}; anti-ctla4
targeted therapy | targeted_therapy | targeted agent{s|}; molecularly targeted therapy
tyrosine kinase inhibitor | tki | tyrosine kinase inhibitors; =TKI; =TKIs
hormone therapy | hormone_therapy | hormonal therapy; endocrine therapy;
    androgen deprivation therapy; =ADT
radiotherapy | radiotherapy | radiation therapy; radiation; external beam radiotherapy; sbrt;
    stereotactic body radiotherapy; brachytherapy; chemoradiotherapy; chemoradiation
anticoagulant | anticoagulant | anticoagulants; anticoagulation; anticoagulant therapy;
    blood thinner{s|}
antiplatelet | antiplatelet | antiplatelet agent{s|}; antiplatelet therapy
corticosteroid | corticosteroid | corticosteroids; systemic corticosteroids; systemic steroids;
    steroids; glucocorticoid{s|}
immunosuppressant | immunosuppressant | immunosuppressants; immunosuppressive therapy;
    immunosuppressive drug{s|}; immunosuppressive agent{s|}
low molecular weight heparin | lmwh | low-molecular-weight heparin{s|}; =LMWH
direct oral anticoagulant | doac | direct oral anticoagulants; =DOAC; =DOACs; =NOAC; =NOACs;
    novel oral anticoagulant{s|}
statin | statin | statins
beta blocker | beta_blocker | beta blockers; beta-blocker{s|}
ace inhibitor | ace_inhibitor | ace inhibitors; =ACEi; angiotensin converting enzyme inhibitor{s|}
strong cyp3a4 inhibitor | cyp3a4_inhibitor | strong cyp3a4 inhibitors; strong cyp3a inhibitor{s|};
    strong inhibitors of cyp3a4; potent cyp3a4 inhibitor{s|}
strong cyp3a4 inducer | cyp3a4_inducer | strong cyp3a4 inducers; strong cyp3a inducer{s|};
    strong inducers of cyp3a4; potent cyp3a4 inducer{s|}
enzyme-inducing antiepileptic drug | antiepileptic cyp3a4_inducer |
    enzyme-inducing antiepileptic drugs; enzyme inducing anticonvulsant{s|}; =EIAED; =EIAEDs
antiepileptic | antiepileptic | antiepileptic drug{s|}; anticonvulsant{s|}; antiepileptics
monoamine oxidase inhibitor | maoi | monoamine oxidase inhibitors; =MAOI; =MAOIs
ssri | ssri | =SSRI; =SSRIs; selective serotonin reuptake inhibitor{s|}
opioid | opioid | opioids; opiates; opioid analgesic{s|}
nsaid | nsaid | nsaids; non-steroidal anti-inflammatory drug{s|};
    nonsteroidal anti-inflammatory drug{s|}
tnf inhibitor | tnf_inhibitor | tnf inhibitors; anti-tnf; tnf-alpha inhibitor{s|};
    tnf alpha blocker{s|}
bisphosphonate | bone_modifying_agent | bisphosphonates
anti-vegf | vegf_inhibitor | vegf inhibitor{s|}; anti-angiogenic therapy; antiangiogenic agent{s|}
anti-egfr | egfr_inhibitor | egfr inhibitor{s|}; anti-egfr antibody; anti-egfr antibodies;
    egfr tki{s|}
anti-her2 | her2_targeted | her2-targeted therapy; anti-her2 therapy; her2 directed therapy
cdk4/6 inhibitor | cdk46_inhibitor | cdk4/6 inhibitors; cdk 4/6 inhibitor{s|}
parp inhibitor | parp_inhibitor | parp inhibitors; =PARPi
insulin therapy | insulin | insulins
investigational drug | investigational_drug | investigational agent{s|}; investigational product;
    experimental drug{s|}; study drug
"""

_CLASSES = """
# class id | label | broader classes it implies
chemotherapy | chemotherapy | systemic_therapy
systemic_therapy | systemic anticancer therapy
platinum | platinum agent | chemotherapy
taxane | taxane | chemotherapy
anthracycline | anthracycline | chemotherapy
antimetabolite | antimetabolite | chemotherapy
fluoropyrimidine | fluoropyrimidine | antimetabolite
alkylating_agent | alkylating agent | chemotherapy
topoisomerase_inhibitor | topoisomerase inhibitor | chemotherapy
vinca_alkaloid | vinca alkaloid | chemotherapy
microtubule_inhibitor | microtubule inhibitor | chemotherapy
cytotoxic_antibiotic | cytotoxic antibiotic | chemotherapy
folate_rescue | folinic acid (leucovorin)
immunotherapy | immunotherapy | systemic_therapy
checkpoint_inhibitor | immune checkpoint inhibitor | immunotherapy
pd1_pdl1 | PD-1/PD-L1 inhibitor | checkpoint_inhibitor
ctla4 | CTLA-4 inhibitor | checkpoint_inhibitor
lag3_inhibitor | LAG-3 inhibitor | checkpoint_inhibitor
car_t | CAR-T cell therapy | immunotherapy
bispecific_antibody | bispecific antibody | immunotherapy
cytokine_therapy | cytokine therapy | immunotherapy
oncolytic_virus | oncolytic virus | immunotherapy
targeted_therapy | targeted therapy | systemic_therapy
tki | tyrosine kinase inhibitor | targeted_therapy
vegf_inhibitor | VEGF/angiogenesis inhibitor | targeted_therapy
egfr_inhibitor | EGFR inhibitor | targeted_therapy
her2_targeted | HER2-targeted therapy | targeted_therapy
alk_inhibitor | ALK inhibitor | targeted_therapy
btk_inhibitor | BTK inhibitor | targeted_therapy
jak_inhibitor | JAK inhibitor | immunosuppressant
braf_inhibitor | BRAF inhibitor | targeted_therapy
mek_inhibitor | MEK inhibitor | targeted_therapy
kras_inhibitor | KRAS inhibitor | targeted_therapy
mtor_inhibitor | mTOR inhibitor
pi3k_inhibitor | PI3K inhibitor | targeted_therapy
bcl2_inhibitor | BCL-2 inhibitor | targeted_therapy
cdk46_inhibitor | CDK4/6 inhibitor | targeted_therapy
parp_inhibitor | PARP inhibitor | targeted_therapy
proteasome_inhibitor | proteasome inhibitor | targeted_therapy
immunomodulatory_drug | immunomodulatory drug (IMiD) | targeted_therapy
antibody_drug_conjugate | antibody-drug conjugate | targeted_therapy
anti_cd20 | anti-CD20 antibody | targeted_therapy
anti_cd38 | anti-CD38 antibody | targeted_therapy
hormone_therapy | hormone therapy | systemic_therapy
serm | selective estrogen receptor modulator | hormone_therapy
serd | selective estrogen receptor degrader | hormone_therapy
aromatase_inhibitor | aromatase inhibitor | hormone_therapy
gnrh_analogue | GnRH agonist/antagonist | hormone_therapy
antiandrogen | androgen receptor pathway inhibitor | hormone_therapy
progestin_therapy | progestin | hormone_therapy
radiopharmaceutical | radiopharmaceutical | radiotherapy systemic_therapy
radiotherapy | radiotherapy
surgery | surgery
ablation | ablation
investigational_drug | investigational drug
growth_factor | myeloid growth factor
erythropoiesis_stimulating_agent | erythropoiesis-stimulating agent
bone_modifying_agent | bone-modifying agent
anticoagulant | anticoagulant
vitamin_k_antagonist | vitamin K antagonist | anticoagulant
doac | direct oral anticoagulant | anticoagulant
heparin | heparin | anticoagulant
lmwh | low-molecular-weight heparin | heparin
antiplatelet | antiplatelet agent
nsaid | NSAID
analgesic | analgesic
opioid | opioid
corticosteroid | systemic corticosteroid | immunosuppressants
corticosteroid_local | inhaled/local corticosteroid
immunosuppressants | immunosuppressive therapy
immunosuppressant | immunosuppressant | immunosuppressants
calcineurin_inhibitor | calcineurin inhibitor | immunosuppressant
tnf_inhibitor | TNF inhibitor | biologic immunosuppressant
il6_inhibitor | IL-6 inhibitor | biologic immunosuppressant
biologic | biologic
antimalarial | antimalarial
antidiabetic | antidiabetic drug
insulin | insulin | antidiabetic
biguanide | biguanide (metformin) | antidiabetic
sulfonylurea | sulfonylurea | antidiabetic
dpp4_inhibitor | DPP-4 inhibitor | antidiabetic
sglt2_inhibitor | SGLT2 inhibitor | antidiabetic
glp1_agonist | GLP-1 receptor agonist | antidiabetic
thiazolidinedione | thiazolidinedione | antidiabetic
statin | statin
beta_blocker | beta blocker
ace_inhibitor | ACE inhibitor
arb | angiotensin receptor blocker
calcium_channel_blocker | calcium channel blocker
diuretic | diuretic
antiarrhythmic | antiarrhythmic
qt_prolonging | QT-prolonging drug
cyp3a4_inhibitor | strong CYP3A4 inhibitor
cyp3a4_inhibitor_moderate | moderate CYP3A4 inhibitor
cyp3a4_inducer | strong CYP3A4 inducer
cyp3a4_inducer_moderate | moderate CYP3A4 inducer
antifungal | azole antifungal
antibiotic | antibiotic
antiviral | antiviral
antiretroviral | antiretroviral | antiviral
antiepileptic | antiepileptic
herbal_supplement | herbal supplement
methylxanthine | methylxanthine
bronchodilator | bronchodilator
antidepressant | antidepressant
ssri | SSRI | antidepressant
snri | SNRI | antidepressant
tricyclic_antidepressant | tricyclic antidepressant | antidepressant
maoi | MAO inhibitor | antidepressant
mood_stabilizer | mood stabiliser
antipsychotic | antipsychotic
ppi | proton pump inhibitor
antiemetic | antiemetic
thyroid_hormone | thyroid hormone
estrogen | estrogen
hormonal_contraceptive | hormonal contraceptive
"""


def _rows(table: str) -> list[tuple[str, list[str], list[str]]]:
    """``name | classes | aliases`` rows; an indented line continues the aliases."""
    rows: list[tuple[str, list[str], list[str]]] = []
    for line in table.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(" "):
            rows[-1][2].extend(a.strip() for a in line.split(";") if a.strip())
            continue
        name, classes, aliases = (part.strip() for part in (line + " | ").split("|", 2))
        aliases = aliases.rstrip(" |")
        rows.append((name, classes.split(), [a.strip() for a in aliases.split(";") if a.strip()]))
    return rows


def _class_rows() -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for line in _CLASSES.splitlines():
        if line.strip() and not line.startswith("#"):
            cid, label, *implies = (part.strip() for part in line.split("|"))
            out.append((cid, label, tuple(" ".join(implies).split())))
    return out


#: class id -> a label for display
CLASS_LABELS: dict[str, str] = {cid: label for cid, label, _ in _class_rows()}
#: finer class -> the broader classes it implies (applied until nothing changes)
_IMPLIES: dict[str, tuple[str, ...]] = {cid: implies for cid, _, implies in _class_rows()}


def _close(classes: set[str]) -> frozenset[str]:
    todo = list(classes)
    while todo:
        for broader in _IMPLIES.get(todo.pop(), ()):
            if broader not in classes:
                classes.add(broader)
                todo.append(broader)
    return frozenset(classes)


@cache
def _table() -> dict[str, frozenset[str]]:
    """Drug name -> its classes with everything implied."""
    own: dict[str, set[str]] = {}
    rows = _rows(_DRUGS) + _rows(_GENERIC)
    for name, classes, _aliases in rows:
        own.setdefault(name, set()).update(c for c in classes if not c.startswith("@"))
    for name, classes, _aliases in rows:
        for component in (c[1:] for c in classes if c.startswith("@")):
            own[name].update(own[component])
    return {name: _close(set(classes)) for name, classes in own.items()}


@cache
def _lexicon() -> Lexicon[str]:
    entries: list[tuple[str, str]] = []
    for name, _classes, aliases in _rows(_DRUGS) + _rows(_GENERIC):
        # regimens with short upper-case names are only found as written (=AC)
        if not any(alias.startswith("=") and alias[1:].lower() == name for alias in aliases):
            entries.append((name, name))
        entries.extend((alias, name) for alias in aliases)
    return Lexicon(entries)


def drug_names() -> list[str]:
    """Every drug, regimen and generic class word the table knows (canonical names)."""
    return sorted(_table())


def find_drugs(text: str) -> list[tuple[int, int, str, frozenset[str]]]:
    """Drug names in free text: ``(start, end, canonical name, classes)``, longest match
    first and non-overlapping ("nab-paclitaxel" is one hit, not paclitaxel)."""
    table = _table()
    return [(hit.start, hit.end, hit.value, table[hit.value]) for hit in _lexicon().finditer(text)]


def drug_classes(name: str) -> frozenset[str]:
    """The classes of a drug or regimen as a record names it: brand or generic, any
    case, with a dose ("cisplatin 75 mg/m2") or several drugs ("carboplatin +
    pemetrexed"); unknown names give an empty set."""
    classes: set[str] = set()
    for _start, _end, _name, found in find_drugs(name):
        classes |= found
    return frozenset(classes)
