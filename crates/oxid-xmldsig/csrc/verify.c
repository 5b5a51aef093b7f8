/*
 * Enveloped XML-DSig verification of one element with libxmlsec1 (OpenSSL backend).
 *
 * The caller names the root element it expects and the one trusted key (a PEM
 * certificate). Everything that signature-wrapping attacks play with is fixed here:
 * the root must be that element, carry an ID registered as the only ID of the document,
 * hold exactly one ds:Signature as a direct child, whose SignedInfo has exactly one
 * Reference whose URI is "#" + that ID. The key is never taken from KeyInfo. Only the
 * algorithms enabled below run (no SHA-1, no XSLT/XPath transforms, no external URIs).
 * On success the caller receives the bytes the digest covered (the canonical form of
 * the signed element without its signature): it reads the assertion from those bytes,
 * so what it uses is exactly what was signed.
 */
#include <string.h>
#include <stdlib.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/errors.h>
#include <xmlsec/crypto.h>

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* Outcomes; the Rust side maps each to a description (keep in sync with lib.rs). */
enum {
    OXID_OK = 0,
    OXID_MALFORMED = 1,
    OXID_DTD = 2,
    OXID_WRONG_ROOT = 3,
    OXID_NO_ID = 4,
    OXID_DUPLICATE_ID = 5,
    OXID_SIGNATURE_PLACEMENT = 6,
    OXID_UNSUPPORTED = 7,
    OXID_INVALID = 8,
    OXID_REFERENCES = 9,
    OXID_REFERENCE_TARGET = 10,
    OXID_INTERNAL = 11,
    OXID_BAD_KEY = 12
};

/* xmlsec reports every failure on stderr by default; the caller reports outcomes. */
static void quiet_errors(const char *file, int line, const char *func,
                         const char *errorObject, const char *errorSubject,
                         int reason, const char *msg) {
    (void)file; (void)line; (void)func; (void)errorObject; (void)errorSubject;
    (void)reason; (void)msg;
}

int oxid_xmldsig_init(void) {
    xmlInitParser();
    if (xmlSecInit() < 0) return OXID_INTERNAL;
    if (xmlSecCheckVersion() != 1) return OXID_INTERNAL;
    if (xmlSecCryptoAppInit(NULL) < 0) return OXID_INTERNAL;
    if (xmlSecCryptoInit() < 0) return OXID_INTERNAL;
    xmlSecErrorsSetCallback(quiet_errors);
    return OXID_OK;
}

static xmlSecKeyPtr load_key(const unsigned char *pem, size_t pem_len) {
    return xmlSecCryptoAppKeyLoadMemory(pem, (xmlSecSize)pem_len, xmlSecKeyDataFormatCertPem,
                                        NULL, NULL, NULL);
}

/* Whether `pem` is a certificate whose public key can verify signatures. */
int oxid_xmldsig_check_certificate(const unsigned char *pem, size_t pem_len) {
    xmlSecKeyPtr key = load_key(pem, pem_len);
    if (key == NULL) return OXID_BAD_KEY;
    xmlSecKeyDestroy(key);
    return OXID_OK;
}

static int is_element(xmlNodePtr node, const char *ns, const char *name) {
    return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
           xmlStrEqual(node->ns->href, BAD_CAST ns) && xmlStrEqual(node->name, BAD_CAST name);
}

/* The only ds:Signature child of `root`, or NULL when there is none or more than one. */
static xmlNodePtr only_signature_child(xmlNodePtr root) {
    xmlNodePtr found = NULL;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (is_element(c, DSIG_NS, "Signature")) {
            if (found != NULL) return NULL;
            found = c;
        }
    }
    return found;
}

/* Whether `signature`'s SignedInfo holds exactly one Reference (`*count` says how many),
 * and it names "#" + `id`. Checked before verification so that a reference elsewhere is
 * reported as such, and again after it on what xmlsec resolved. */
static int reference_is_to(xmlNodePtr signature, const xmlChar *id, int *count) {
    *count = 0;
    int to_id = 0;
    for (xmlNodePtr c = signature->children; c != NULL; c = c->next) {
        if (!is_element(c, DSIG_NS, "SignedInfo")) continue;
        for (xmlNodePtr r = c->children; r != NULL; r = r->next) {
            if (!is_element(r, DSIG_NS, "Reference")) continue;
            (*count)++;
            xmlChar *uri = xmlGetNsProp(r, BAD_CAST "URI", NULL);
            to_id = uri != NULL && uri[0] == '#' && xmlStrEqual(uri + 1, id);
            if (uri != NULL) xmlFree(uri);
        }
    }
    return *count == 1 && to_id;
}

/* The algorithms a signature may use: RSA or ECDSA with SHA-256 or better, over
 * canonical XML without comments; references transformed only by enveloped-signature
 * and canonicalization, digested with SHA-256 or better. */
static int enable_algorithms(xmlSecDSigCtxPtr ctx) {
    xmlSecTransformId sig[] = {
        xmlSecTransformExclC14NId, xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id,
        xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id,
        xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
        xmlSecTransformEcdsaSha512Id,
    };
    xmlSecTransformId ref[] = {
        xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformInclC14NId,
        xmlSecTransformInclC14N11Id, xmlSecTransformSha256Id, xmlSecTransformSha384Id,
        xmlSecTransformSha512Id,
    };
    for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
        if (xmlSecDSigCtxEnableSignatureTransform(ctx, sig[i]) < 0) return -1;
    for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
        if (xmlSecDSigCtxEnableReferenceTransform(ctx, ref[i]) < 0) return -1;
    return 0;
}

/* Verifies `root`'s enveloped signature with `key` (consumed); on success copies the
 * reference's pre-digest bytes into *out. */
static int verify_root(const xmlChar *id, xmlNodePtr signature,
                       xmlSecKeyPtr key, unsigned char **out, size_t *out_len) {
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) {
        xmlSecKeyDestroy(key);
        return OXID_INTERNAL;
    }
    ctx->signKey = key; /* destroyed with ctx */
    ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    int rc = OXID_INTERNAL;
    if (enable_algorithms(ctx) < 0) goto done;
    if (xmlSecDSigCtxVerify(ctx, signature) < 0) {
        rc = OXID_UNSUPPORTED;
        goto done;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) {
        rc = OXID_INVALID;
        goto done;
    }
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
        rc = OXID_REFERENCES;
        goto done;
    }
    xmlSecDSigReferenceCtxPtr ref =
        (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
    if (ref == NULL || ref->uri == NULL || ref->uri[0] != '#' ||
        !xmlStrEqual(ref->uri + 1, id) || ref->status != xmlSecDSigStatusSucceeded) {
        rc = OXID_REFERENCE_TARGET;
        goto done;
    }
    xmlSecBufferPtr signed_bytes = xmlSecDSigReferenceCtxGetPreDigestBuffer(ref);
    if (signed_bytes == NULL) goto done;
    size_t len = (size_t)xmlSecBufferGetSize(signed_bytes);
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) goto done;
    if (len > 0) memcpy(copy, xmlSecBufferGetData(signed_bytes), len);
    *out = copy;
    *out_len = len;
    rc = OXID_OK;
done:
    xmlSecDSigCtxDestroy(ctx);
    return rc;
}

int oxid_xmldsig_verify(const unsigned char *xml, size_t xml_len,
                        const unsigned char *pem, size_t pem_len,
                        const char *root_ns, const char *root_name,
                        unsigned char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (xml_len > (size_t)0x7fffffff) return OXID_MALFORMED;
    /* No network, no entity substitution, no DTD loading, nothing printed. */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)xml_len, NULL, NULL, options);
    if (doc == NULL) return OXID_MALFORMED;
    int rc = OXID_OK;
    xmlChar *id = NULL;
    /* A DTD can declare IDs and entities; an assertion has no use for one. */
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = OXID_DTD;
        goto done;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!is_element(root, root_ns, root_name)) {
        rc = OXID_WRONG_ROOT;
        goto done;
    }
    xmlAttrPtr id_attr = xmlHasNsProp(root, BAD_CAST "ID", NULL);
    id = xmlGetNsProp(root, BAD_CAST "ID", NULL);
    if (id_attr == NULL || id == NULL || id[0] == 0) {
        rc = OXID_NO_ID;
        goto done;
    }
    /* The root's ID is the only one the reference may resolve to: an element elsewhere
     * already holding this ID (xml:id) makes registration fail. */
    if (xmlGetID(doc, id) != NULL || xmlAddID(NULL, doc, id, id_attr) == NULL ||
        xmlGetID(doc, id) != id_attr) {
        rc = OXID_DUPLICATE_ID;
        goto done;
    }
    xmlNodePtr signature = only_signature_child(root);
    if (signature == NULL) {
        rc = OXID_SIGNATURE_PLACEMENT;
        goto done;
    }
    int references = 0;
    if (!reference_is_to(signature, id, &references)) {
        rc = references == 1 ? OXID_REFERENCE_TARGET : OXID_REFERENCES;
        goto done;
    }
    xmlSecKeyPtr key = load_key(pem, pem_len);
    if (key == NULL) {
        rc = OXID_BAD_KEY;
        goto done;
    }
    rc = verify_root(id, signature, key, out, out_len);
done:
    if (id != NULL) xmlFree(id);
    xmlFreeDoc(doc);
    return rc;
}

void oxid_xmldsig_free(unsigned char *bytes) { free(bytes); }
