/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS query types (QTYPE of the first question) as unbound's extended statistics name them
 * (num.query.type.<NAME>, sldns mnemonics). Types without a mnemonic here count as OTHER;
 * unbound itself puts types above 255 (URI, CAA, TA, DLV) under num.query.type.other. */
static const char *const dns_commands[] = {
	"A",	  "NS",	   "MD",	 "MF",	       "CNAME",	   "SOA",    "MB",	 "MG",
	"MR",	  "NULL",  "WKS",	 "PTR",	       "HINFO",	   "MINFO",  "MX",	 "TXT",
	"RP",	  "AFSDB", "X25",	 "ISDN",       "RT",	   "NSAP",   "NSAP-PTR", "SIG",
	"KEY",	  "PX",	   "GPOS",	 "AAAA",       "LOC",	   "NXT",    "EID",	 "NIMLOC",
	"SRV",	  "ATMA",  "NAPTR",	 "KX",	       "CERT",	   "A6",     "DNAME",	 "SINK",
	"OPT",	  "APL",   "DS",	 "SSHFP",      "IPSECKEY", "RRSIG",  "NSEC",	 "DNSKEY",
	"DHCID",  "NSEC3", "NSEC3PARAM", "TLSA",       "SMIMEA",   "HIP",    "NINFO",	 "RKEY",
	"TALINK", "CDS",   "CDNSKEY",	 "OPENPGPKEY", "CSYNC",	   "ZONEMD", "SVCB",	 "HTTPS",
	"SPF",	  "UINFO", "UID",	 "GID",	       "UNSPEC",   "NID",    "L32",	 "L64",
	"LP",	  "EUI48", "EUI64",	 "TKEY",       "TSIG",	   "IXFR",   "AXFR",	 "MAILB",
	"MAILA",  "ANY",   "URI",	 "CAA",	       "TA",	   "DLV",    "OTHER",
};
