// The SAML answer arrived without Bearing's cookies (a cross-site POST): post it again from this site.
document.getElementById("saml-continue")?.submit();
